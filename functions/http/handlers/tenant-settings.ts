/** Tenant self-service, the customer's side: tenant-configurable features and tenant token keys. */
import * as tenantSchemas from '../../domain/tenant-schemas.js';
import * as useCases from '../../domain/use-cases/tenant-settings.js';
import { bodyAs, environmentOf, type Handler, ok, param, projectOf } from './context.js';

export const putTenantSettings: Handler = async (c) =>
  ok(await useCases.putTenantSettings(c.deps, c.actor, projectOf(c), param(c, 'featureName'), bodyAs(c, tenantSchemas.putTenantSettingsBody)));
export const deleteTenantSettings: Handler = async (c) => ok(await useCases.deleteTenantSettings(c.deps, c.actor, projectOf(c), param(c, 'featureName')));

export const listTenantKeys: Handler = async (c) => ok({ items: await useCases.listTenantKeys(c.deps, environmentOf(c)) });
export const createTenantKey: Handler = async (c) => ok(await useCases.createTenantKey(c.deps, c.actor, environmentOf(c), bodyAs(c, tenantSchemas.createTenantKeyBody)));
export const deleteTenantKey: Handler = async (c) => ok(await useCases.deleteTenantKey(c.deps, c.actor, environmentOf(c), param(c, 'keyId')));
