import * as useCases from '../../domain/use-cases/targeting.js';
import * as tenants from '../../domain/use-cases/tenants.js';
import * as templates from '../../domain/use-cases/templates.js';
import * as schemas from '../../domain/schemas.js';
import { validate } from '../request.js';
import { bodyAs, environmentOf, type Handler, ok, param, projectOf, queryAs } from './context.js';

export const listSegments: Handler = async (c) => ok(await useCases.listSegments(c.deps, projectOf(c), queryAs(c, schemas.listSegmentsQuery)));
export const createSegment: Handler = async (c) =>
  ok(await useCases.createSegment(c.deps, c.actor, projectOf(c), bodyAs(c, schemas.createSegmentBody)));
export const getSegment: Handler = async (c) => ok(await useCases.getSegment(c.deps, projectOf(c), param(c, 'segmentId')));
export const updateSegment: Handler = async (c) =>
  ok(await useCases.updateSegment(c.deps, c.actor, projectOf(c), param(c, 'segmentId'), bodyAs(c, schemas.updateSegmentBody)));
export const deleteSegment: Handler = async (c) => ok(await useCases.deleteSegment(c.deps, c.actor, projectOf(c), param(c, 'segmentId')));

export const listOverrides: Handler = async (c) =>
  ok(await useCases.listOverrides(c.deps, environmentOf(c), projectOf(c), param(c, 'featureName')));
export const putSegmentOverride: Handler = async (c) =>
  ok(
    await useCases.putSegmentOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'featureName'), param(c, 'segmentId'), bodyAs(c, schemas.putSegmentOverrideBody)),
  );
export const deleteSegmentOverride: Handler = async (c) =>
  ok(await useCases.deleteSegmentOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'featureName'), param(c, 'segmentId')));
export const putTenantOverride: Handler = async (c) => {
  const tenantId = validate(schemas.tenantId, param(c, 'tenantId'), 'The tenant id is not valid.');
  return ok(await useCases.putTenantOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'featureName'), tenantId, bodyAs(c, schemas.putOverrideBody)));
};
export const deleteTenantOverride: Handler = async (c) =>
  ok(await useCases.deleteTenantOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'featureName'), param(c, 'tenantId')));

export const listIdentities: Handler = async (c) => ok(await useCases.listIdentities(c.deps, environmentOf(c), queryAs(c, schemas.listQuery)));
export const getIdentity: Handler = async (c) => ok(await useCases.getIdentity(c.deps, environmentOf(c), param(c, 'identifier')));
export const putIdentity: Handler = async (c) => {
  const identifier = validate(schemas.identifier, param(c, 'identifier'), 'The identifier is not valid.');
  return ok(await useCases.putIdentity(c.deps, c.actor, environmentOf(c), identifier, bodyAs(c, schemas.putIdentityBody)));
};
export const deleteIdentity: Handler = async (c) => ok(await useCases.deleteIdentity(c.deps, c.actor, environmentOf(c), param(c, 'identifier')));
export const putIdentityOverride: Handler = async (c) =>
  ok(
    await useCases.putIdentityOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'identifier'), param(c, 'featureName'), bodyAs(c, schemas.putOverrideBody)),
  );
export const deleteIdentityOverride: Handler = async (c) =>
  ok(await useCases.deleteIdentityOverride(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'identifier'), param(c, 'featureName')));

export const listTenants: Handler = async (c) => ok(await tenants.listTenants(c.deps, projectOf(c), queryAs(c, schemas.listTenantsQuery)));
export const getTenant: Handler = async (c) => ok(await tenants.getTenant(c.deps, projectOf(c), param(c, 'tenantKey')));
export const putTenant: Handler = async (c) => ok(await tenants.putTenant(c.deps, c.actor, projectOf(c), param(c, 'tenantKey'), bodyAs(c, schemas.putTenantBody)));
export const deleteTenant: Handler = async (c) => ok(await tenants.deleteTenant(c.deps, c.actor, projectOf(c), param(c, 'tenantKey')));

export const listTemplates: Handler = async (c) => ok(await templates.listTemplates(c.deps, projectOf(c)));
export const getTemplate: Handler = async (c) => ok(await templates.getTemplate(c.deps, projectOf(c), param(c, 'templateKey')));
export const putTemplate: Handler = async (c) => ok(await templates.putTemplate(c.deps, c.actor, projectOf(c), param(c, 'templateKey'), bodyAs(c, schemas.putTemplateBody)));
export const deleteTemplate: Handler = async (c) => ok(await templates.deleteTemplate(c.deps, c.actor, projectOf(c), param(c, 'templateKey')));
export const getTemplateValues: Handler = async (c) => ok(await templates.getTemplateValues(c.deps, environmentOf(c), projectOf(c), param(c, 'templateKey')));
/** 200 with the values where they are written; 202 with the change request opened where the environment requires approvals. */
export const putTemplateValues: Handler = async (c) => {
  const result = await templates.putTemplateValues(c.deps, c.actor, environmentOf(c), projectOf(c), param(c, 'templateKey'), bodyAs(c, schemas.putTemplateValuesBody));
  return 'applied' in result ? ok(result.applied) : { status: 202, body: result.changeRequest };
};
