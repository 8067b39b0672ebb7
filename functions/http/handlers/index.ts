/** Handlers by operation name, as the route table names them. */
import type { Handler } from './context.js';
import * as changeRequests from './change-requests.js';
import * as features from './features.js';
import * as flagsMatrix from './flags-matrix.js';
import * as insights from './insights.js';
import * as organisation from './organisation.js';
import * as rollouts from './rollouts.js';
import * as people from './people.js';
import * as scheduledChanges from './scheduled-changes.js';
import * as staleFeatures from './stale-features.js';
import * as targeting from './targeting.js';
import * as tenantSettings from './tenant-settings.js';
import * as webhooks from './webhooks.js';

export const handlers: Record<string, Handler> = { ...organisation, ...features, ...targeting, ...webhooks, ...changeRequests, ...scheduledChanges, ...staleFeatures, ...rollouts, ...insights, ...people, ...tenantSettings, ...flagsMatrix };

export { selfHandlers } from './self.js';
