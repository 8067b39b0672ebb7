import { listStaleFeatures as listStale } from '../../domain/use-cases/stale-features.js';
import * as schemas from '../../domain/schemas.js';
import { type Handler, ok, projectOf, queryAs } from './context.js';

export const listStaleFeatures: Handler = async (c) => ok(await listStale(c.deps, projectOf(c), queryAs(c, schemas.staleFeaturesQuery).days));
