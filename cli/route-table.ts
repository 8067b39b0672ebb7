/**
 * The management API's routes as the CLI calls them: operation, method and path. Plain data,
 * evaluated when the CLI is bundled (cli/vexilla.mjs): the bundle holds this list instead of the
 * route table it comes from, so no command loads zod and every schema of the API to find a path.
 */
import { publicRoutes, routes } from '../functions/http/routes.js';

export const managementRoutes: { operation: string; method: string; path: string }[] = [...routes.filter((route) => route.function === 'admin-api'), ...publicRoutes].map(
  ({ operation, method, path }) => ({ operation, method, path }),
);
