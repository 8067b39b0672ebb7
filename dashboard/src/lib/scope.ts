/**
 * Every page's URL names the organisation, project and environment it shows:
 * `/o/<orgId>/p/<projectId>/e/<envId>/<page>`, so any view can be linked to and reloaded.
 */
import { useParams } from 'react-router';

export interface Scope {
  orgId: string;
  projectId: string;
  envId: string;
}

export function useScope(): Scope {
  const { orgId = '', projectId = '', envId = '' } = useParams();
  return { orgId, projectId, envId };
}

const e = encodeURIComponent;
export const scopePath = (scope: Scope) => `/o/${e(scope.orgId)}/p/${e(scope.projectId)}/e/${e(scope.envId)}`;

export const paths = {
  flags: (scope: Scope) => `${scopePath(scope)}/flags`,
  feature: (scope: Scope, featureName: string) => `${scopePath(scope)}/flags/${e(featureName)}`,
  segments: (scope: Scope) => `${scopePath(scope)}/segments`,
  segment: (scope: Scope, segmentId: string) => `${scopePath(scope)}/segments/${e(segmentId)}`,
  newSegment: (scope: Scope) => `${scopePath(scope)}/segments/new`,
  identities: (scope: Scope) => `${scopePath(scope)}/identities`,
  identity: (scope: Scope, identifier: string) => `${scopePath(scope)}/identities/${e(identifier)}`,
  changeRequests: (scope: Scope) => `${scopePath(scope)}/change-requests`,
  changeRequest: (scope: Scope, id: string) => `${scopePath(scope)}/change-requests/${e(id)}`,
  scheduled: (scope: Scope) => `${scopePath(scope)}/scheduled-changes`,
  rollouts: (scope: Scope) => `${scopePath(scope)}/rollouts`,
  tenants: (scope: Scope) => `${scopePath(scope)}/tenants`,
  tenant: (scope: Scope, tenantKey: string) => `${scopePath(scope)}/tenants/${e(tenantKey)}`,
  audit: (scope: Scope) => `${scopePath(scope)}/audit`,
  webhooks: (scope: Scope) => `${scopePath(scope)}/webhooks`,
  webhook: (scope: Scope, id: string) => `${scopePath(scope)}/webhooks/${e(id)}`,
  stale: (scope: Scope) => `${scopePath(scope)}/stale-flags`,
  keys: (scope: Scope) => `${scopePath(scope)}/keys`,
  analytics: (scope: Scope) => `${scopePath(scope)}/analytics`,
};
