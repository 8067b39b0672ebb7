import * as useCases from '../../domain/use-cases/people.js';
import { ok, type SelfHandler } from './context.js';

/** Routes about the caller themselves (access `self`): no resource, no role needed. */
export const selfHandlers: Record<string, SelfHandler> = {
  getMe: async ({ deps, caller }) => ok(await useCases.describeCaller(deps, caller)),
  listOrganisations: async ({ deps, caller }) => {
    const organisations = await useCases.organisationsOf(deps, caller);
    const items = await Promise.all(organisations.map(async ({ id }) => deps.store.get({ type: 'organisation', id })));
    return ok({ items: items.filter((organisation) => organisation !== undefined) });
  },
};
