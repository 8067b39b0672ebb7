/** Handlers by operation name, as the route table names them. */
import type { Handler } from './context.js';
import * as features from './features.js';
import * as organisation from './organisation.js';
import * as staleFeatures from './stale-features.js';
import * as targeting from './targeting.js';

export const handlers: Record<string, Handler> = { ...organisation, ...features, ...targeting, ...staleFeatures };
