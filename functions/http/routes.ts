/**
 * Every HTTP route, declared once as data. API Gateway's routes (CDK), the local server's
 * router, the Lambda dispatch, the OpenAPI document and the authorization matrix test are all
 * built from this table.
 */
import * as z from 'zod';
import type { Action } from '../domain/access.js';
import { EDGE_PREFIX } from '../edge/cache-rules.js';
import * as schemas from '../domain/schemas.js';
import { flagsmithDocumentSchema as importDocumentBody } from '../domain/use-cases/import-flagsmith.js';
import { sdkApiRoutes } from './sdk-routes.js';
import * as tenantSchemas from '../domain/tenant-schemas.js';

const importQuery = z.object({ dryRun: z.enum(['true', 'false']).default('false') });

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type FunctionName = 'admin-api' | 'sdk-api' | 'tenant-api';

/**
 * Who may call a route. Admin routes (an admin token, or a person's sign-in token) name the
 * action they need on the resource the path points at (the most specific of environment,
 * project and organisation in the path); `self` routes are about the caller and need no role.
 * SDK routes take an environment key; `server` routes refuse client keys. Tenant routes take a
 * tenant token (a JWT the customer's backend signs for one tenant and user) and act on that
 * tenant only.
 */
export type Access =
  | { credential: 'admin-token'; action: Action | 'self' }
  | { credential: 'environment-key'; server: boolean }
  | { credential: 'tenant-token' };

export interface Route {
  method: HttpMethod;
  path: string;
  /** Names the handler, and the operation in the OpenAPI document. */
  operation: string;
  function: FunctionName;
  access: Access;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Status of a successful answer. @default 200 */
  status?: 200 | 201 | 202 | 204;
  /** Largest body accepted. @default 256 KB */
  maxBodyBytes?: number;
}

const read: Access = { credential: 'admin-token', action: 'read' };
const write: Access = { credential: 'admin-token', action: 'write' };
const admin: Access = { credential: 'admin-token', action: 'admin' };
const self: Access = { credential: 'admin-token', action: 'self' };

const A = '/admin/v1';
const FS = `${A}/environments/{envId}/feature-states/{featureName}`;
const WH = `${A}/environments/{envId}/webhooks`;
const CR = `${A}/environments/{envId}/change-requests`;
const SC = `${A}/environments/{envId}/scheduled-changes`;
const RO = `${A}/environments/{envId}/rollouts`;

const adminRoutes: Omit<Route, 'function'>[] = [
  { method: 'GET', path: `${A}/organisations`, operation: 'listOrganisations', access: self, summary: "The caller's organisations (a token's own; every one a person may act in)" },
  { method: 'GET', path: `${A}/me`, operation: 'getMe', access: self, summary: 'Who the caller is and their roles in each organisation; for a person, also accepts pending invitations to their verified email' },
  { method: 'GET', path: `${A}/organisations/{orgId}`, operation: 'getOrganisation', access: read, summary: 'An organisation' },
  { method: 'PATCH', path: `${A}/organisations/{orgId}`, operation: 'updateOrganisation', access: admin, summary: 'Rename an organisation', body: schemas.updateOrganisationBody },
  { method: 'GET', path: `${A}/organisations/{orgId}/projects`, operation: 'listProjects', access: read, summary: 'Projects the caller can see', query: schemas.listQuery },
  { method: 'POST', path: `${A}/organisations/{orgId}/projects`, operation: 'createProject', access: admin, summary: 'Create a project', body: schemas.createProjectBody, status: 201 },
  { method: 'GET', path: `${A}/organisations/{orgId}/tokens`, operation: 'listTokens', access: admin, summary: 'Admin tokens (without secrets)' },
  { method: 'POST', path: `${A}/organisations/{orgId}/tokens`, operation: 'createToken', access: admin, summary: 'Create an admin token; its secret is shown once', body: schemas.createTokenBody, status: 201 },
  { method: 'DELETE', path: `${A}/organisations/{orgId}/tokens/{tokenId}`, operation: 'revokeToken', access: admin, summary: 'Revoke an admin token', status: 204 },
  // People: members (roles as tokens hold them), invitations by email, directory-group rules.
  { method: 'GET', path: `${A}/organisations/{orgId}/members`, operation: 'listMembers', access: admin, summary: 'People who may sign in to the organisation, with their roles, by email', query: schemas.listQuery },
  { method: 'PATCH', path: `${A}/organisations/{orgId}/members/{userId}`, operation: 'updateMember', access: admin, summary: "Replace a member's roles (effective on their next request)", body: schemas.updateMemberBody },
  { method: 'DELETE', path: `${A}/organisations/{orgId}/members/{userId}`, operation: 'removeMember', access: admin, summary: 'Remove a member (refused from their next request on)', status: 204 },
  { method: 'GET', path: `${A}/organisations/{orgId}/invitations`, operation: 'listInvitations', access: admin, summary: 'Pending invitations' },
  { method: 'POST', path: `${A}/organisations/{orgId}/invitations`, operation: 'createInvitation', access: admin, summary: 'Invite an email address with roles (again: replaces its pending invitation)', body: schemas.createInvitationBody, status: 201 },
  { method: 'DELETE', path: `${A}/organisations/{orgId}/invitations/{invitationId}`, operation: 'revokeInvitation', access: admin, summary: 'Revoke a pending invitation', status: 204 },
  { method: 'GET', path: `${A}/organisations/{orgId}/group-rules`, operation: 'listGroupRules', access: admin, summary: "Roles given to identity-provider groups (the token's groups claim)" },
  { method: 'POST', path: `${A}/organisations/{orgId}/group-rules`, operation: 'putGroupRule', access: admin, summary: "Set the roles a directory group gives (creates or replaces the group's rule)", body: schemas.putGroupRuleBody },
  { method: 'DELETE', path: `${A}/organisations/{orgId}/group-rules/{ruleId}`, operation: 'deleteGroupRule', access: admin, summary: 'Remove a group rule', status: 204 },
  { method: 'GET', path: `${A}/organisations/{orgId}/audit`, operation: 'listAudit', access: admin, summary: 'Audit records, newest first, filtered by environment, feature, actor and time', query: schemas.auditQuery },

  { method: 'GET', path: `${A}/projects/{projectId}`, operation: 'getProject', access: read, summary: 'A project' },
  { method: 'PATCH', path: `${A}/projects/{projectId}`, operation: 'updateProject', access: admin, summary: 'Update a project', body: schemas.updateProjectBody },
  { method: 'DELETE', path: `${A}/projects/{projectId}`, operation: 'deleteProject', access: admin, summary: 'Delete a project without environments', status: 204 },
  { method: 'GET', path: `${A}/projects/{projectId}/environments`, operation: 'listEnvironments', access: read, summary: 'Environments the caller can see', query: schemas.listQuery },
  { method: 'POST', path: `${A}/projects/{projectId}/environments`, operation: 'createEnvironment', access: admin, summary: 'Create an environment; its client key is shown once', body: schemas.createEnvironmentBody, status: 201 },
  { method: 'GET', path: `${A}/projects/{projectId}/features`, operation: 'listFeatures', access: read, summary: 'Features of a project', query: schemas.listQuery },
  { method: 'POST', path: `${A}/projects/{projectId}/features`, operation: 'createFeature', access: write, summary: 'Create a feature (the answer carries `warnings` about its prerequisites)', body: schemas.createFeatureBody, status: 201 },
  { method: 'GET', path: `${A}/projects/{projectId}/features/{featureName}`, operation: 'getFeature', access: read, summary: 'A feature' },
  {
    method: 'GET',
    path: `${A}/projects/{projectId}/flags-matrix`,
    operation: 'getFlagsMatrix',
    access: read,
    summary: 'The flags page in one answer: every feature once, and its slim state (on/off, value summary, override counts, version) in each environment the caller may read',
  },
  { method: 'GET', path: `${A}/projects/{projectId}/stale-features`, operation: 'listStaleFeatures', access: read, summary: 'Features with no change and no evaluation for N days (default 30), except those tagged permanent', query: schemas.staleFeaturesQuery },
  { method: 'PATCH', path: `${A}/projects/{projectId}/features/{featureName}`, operation: 'updateFeature', access: write, summary: 'Update a feature (the answer carries `warnings` about its prerequisites)', body: schemas.updateFeatureBody },
  { method: 'DELETE', path: `${A}/projects/{projectId}/features/{featureName}`, operation: 'deleteFeature', access: write, summary: 'Delete a feature (one other features require: 409 naming them, unless ?force=true)', query: schemas.deleteFeatureQuery, status: 204 },
  { method: 'GET', path: `${A}/projects/{projectId}/segments`, operation: 'listSegments', access: read, summary: 'Segments of a project (or of one tenant)', query: schemas.listSegmentsQuery },
  { method: 'POST', path: `${A}/projects/{projectId}/segments`, operation: 'createSegment', access: write, summary: 'Create a segment', body: schemas.createSegmentBody, status: 201 },
  { method: 'GET', path: `${A}/projects/{projectId}/segments/{segmentId}`, operation: 'getSegment', access: read, summary: 'A segment' },
  { method: 'PATCH', path: `${A}/projects/{projectId}/segments/{segmentId}`, operation: 'updateSegment', access: write, summary: 'Update a segment', body: schemas.updateSegmentBody },
  { method: 'DELETE', path: `${A}/projects/{projectId}/segments/{segmentId}`, operation: 'deleteSegment', access: write, summary: 'Delete a segment', status: 204 },
  // Tenants: keyed by the value of the identity's tenant trait; conditions read their traits as `tenant.<trait>`.
  { method: 'GET', path: `${A}/projects/{projectId}/tenants`, operation: 'listTenants', access: read, summary: 'Tenants of a project by key; ?search= by key or name (any case)', query: schemas.listTenantsQuery },
  { method: 'GET', path: `${A}/projects/{projectId}/tenants/{tenantKey}`, operation: 'getTenant', access: read, summary: 'A tenant with its traits' },
  { method: 'PUT', path: `${A}/projects/{projectId}/tenants/{tenantKey}`, operation: 'putTenant', access: write, summary: 'Create a tenant or replace its name and traits', body: schemas.putTenantBody },
  { method: 'PUT', path: `${A}/projects/{projectId}/features/{featureName}/tenant-settings`, operation: 'putTenantSettings', access: write, summary: "Make a feature tenant-configurable (tenants' admins set it through /tenant/v1) within these constraints", body: tenantSchemas.putTenantSettingsBody },
  { method: 'DELETE', path: `${A}/projects/{projectId}/features/{featureName}/tenant-settings`, operation: 'deleteTenantSettings', access: write, summary: 'Make a feature no longer tenant-configurable (values tenants set stay as tenant overrides)', status: 204 },
  { method: 'DELETE', path: `${A}/projects/{projectId}/tenants/{tenantKey}`, operation: 'deleteTenant', access: write, summary: 'Delete a tenant (its traits stop applying; tenant overrides stay)', status: 204 },
  { method: 'GET', path: `${A}/projects/{projectId}/templates`, operation: 'listTemplates', access: read, summary: 'Templates of a project, in the order they apply' },
  { method: 'GET', path: `${A}/projects/{projectId}/templates/{templateKey}`, operation: 'getTemplate', access: read, summary: 'A template: its rank and tenant-trait rule' },
  { method: 'PUT', path: `${A}/projects/{projectId}/templates/{templateKey}`, operation: 'putTemplate', access: write, summary: 'Create a template or replace its name, rank and rule', body: schemas.putTemplateBody },
  { method: 'DELETE', path: `${A}/projects/{projectId}/templates/{templateKey}`, operation: 'deleteTemplate', access: write, summary: 'Delete a template and its values in every environment', status: 204 },
  { method: 'GET', path: `${A}/environments/{envId}/templates/{templateKey}/values`, operation: 'getTemplateValues', access: read, summary: "A template's feature values in an environment" },
  { method: 'PUT', path: `${A}/environments/{envId}/templates/{templateKey}/values`, operation: 'putTemplateValues', access: write, summary: "Replace a template's feature values in an environment (every tenant it applies to changes at once); where approvals are required, 202 with the change request opened instead", body: schemas.putTemplateValuesBody },

  { method: 'GET', path: `${A}/environments/{envId}`, operation: 'getEnvironment', access: read, summary: 'An environment' },
  { method: 'PATCH', path: `${A}/environments/{envId}`, operation: 'updateEnvironment', access: admin, summary: 'Update an environment', body: schemas.updateEnvironmentBody },
  { method: 'DELETE', path: `${A}/environments/{envId}`, operation: 'deleteEnvironment', access: admin, summary: 'Delete an environment and revoke its keys', status: 204 },
  { method: 'POST', path: `${A}/environments/{envId}/client-key`, operation: 'rotateClientKey', access: admin, summary: 'Replace the client key; the new key is shown once', status: 201 },
  { method: 'GET', path: `${A}/environments/{envId}/server-keys`, operation: 'listServerKeys', access: admin, summary: 'Server keys (without secrets)' },
  { method: 'POST', path: `${A}/environments/{envId}/server-keys`, operation: 'createServerKey', access: admin, summary: 'Create a server key; its secret is shown once', body: schemas.createServerKeyBody, status: 201 },
  { method: 'DELETE', path: `${A}/environments/{envId}/server-keys/{keyId}`, operation: 'revokeServerKey', access: admin, summary: 'Revoke a server key', status: 204 },
  // Keys tenant tokens (/tenant/v1) are verified with: a JWKS URL or a public key, with issuer, audience, lifetime and browser origins.
  { method: 'GET', path: `${A}/environments/{envId}/tenant-keys`, operation: 'listTenantKeys', access: admin, summary: 'Keys tenant tokens of the environment are verified with' },
  { method: 'POST', path: `${A}/environments/{envId}/tenant-keys`, operation: 'createTenantKey', access: admin, summary: 'Register a JWKS URL or a public key (PEM or JWK) that tenant tokens may be signed with', body: tenantSchemas.createTenantKeyBody, status: 201 },
  { method: 'DELETE', path: `${A}/environments/{envId}/tenant-keys/{keyId}`, operation: 'deleteTenantKey', access: admin, summary: 'Remove a tenant token key (its tokens are refused from the next request on)', status: 204 },
  { method: 'GET', path: `${A}/environments/{envId}/feature-states`, operation: 'listFeatureStates', access: read, summary: "Every feature's state in the environment" },
  { method: 'GET', path: FS, operation: 'getFeatureState', access: read, summary: 'A feature state (ETag: its version)' },
  { method: 'PATCH', path: FS, operation: 'patchFeatureState', access: write, summary: 'Change a feature state; send If-Match: <version> or a version field', body: schemas.patchFeatureStateBody },
  { method: 'GET', path: `${FS}/versions`, operation: 'listFeatureStateVersions', access: read, summary: 'Version history, newest first', query: schemas.listQuery },
  { method: 'POST', path: `${FS}/versions/{version}/restore`, operation: 'restoreFeatureStateVersion', access: write, summary: 'Roll back: write a new version with the content of an old one', body: schemas.restoreVersionBody },
  { method: 'GET', path: `${FS}/overrides`, operation: 'listOverrides', access: read, summary: 'Segment and tenant overrides of a feature' },
  { method: 'PUT', path: `${FS}/segment-overrides/{segmentId}`, operation: 'putSegmentOverride', access: write, summary: 'Create or replace a segment override', body: schemas.putSegmentOverrideBody },
  { method: 'DELETE', path: `${FS}/segment-overrides/{segmentId}`, operation: 'deleteSegmentOverride', access: write, summary: 'Remove a segment override', status: 204 },
  { method: 'PUT', path: `${FS}/tenant-overrides/{tenantId}`, operation: 'putTenantOverride', access: write, summary: 'Create or replace a tenant override', body: schemas.putOverrideBody },
  { method: 'DELETE', path: `${FS}/tenant-overrides/{tenantId}`, operation: 'deleteTenantOverride', access: write, summary: 'Remove a tenant override', status: 204 },
  { method: 'GET', path: `${A}/environments/{envId}/publication`, operation: 'getPublication', access: read, summary: "Whether the published document (what SDKs are served) holds the environment's current state" },
  { method: 'GET', path: `${A}/environments/{envId}/export`, operation: 'exportEnvironment', access: read, summary: 'The environment as a deterministic Flagsmith-format document' },
  {
    method: 'POST',
    path: `${A}/environments/{envId}/import`,
    operation: 'importFlagsmith',
    access: write,
    summary: 'Start importing a Flagsmith environment document: validated at once, then imported by a job (202, Location: its status); idempotent; ?dryRun=true to see what would change',
    body: importDocumentBody,
    query: importQuery,
    status: 202,
    maxBodyBytes: 5 * 1024 * 1024,
  },
  { method: 'GET', path: `${A}/environments/{envId}/imports/{jobId}`, operation: 'getImport', access: read, summary: "An import's status, progress, summary of changes and error" },
  { method: 'GET', path: `${A}/environments/{envId}/identities`, operation: 'listIdentities', access: read, summary: 'Identities, paginated', query: schemas.listQuery },
  { method: 'GET', path: `${A}/environments/{envId}/identities/{identifier}`, operation: 'getIdentity', access: read, summary: 'An identity with its traits and overrides' },
  { method: 'PUT', path: `${A}/environments/{envId}/identities/{identifier}`, operation: 'putIdentity', access: write, summary: "Create an identity or replace its traits", body: schemas.putIdentityBody },
  { method: 'DELETE', path: `${A}/environments/{envId}/identities/{identifier}`, operation: 'deleteIdentity', access: write, summary: 'Delete an identity and its overrides', status: 204 },
  { method: 'PUT', path: `${A}/environments/{envId}/identities/{identifier}/overrides/{featureName}`, operation: 'putIdentityOverride', access: write, summary: 'Create or replace an identity override', body: schemas.putOverrideBody },
  { method: 'DELETE', path: `${A}/environments/{envId}/identities/{identifier}/overrides/{featureName}`, operation: 'deleteIdentityOverride', access: write, summary: 'Remove an identity override', status: 204 },
  { method: 'GET', path: `${A}/environments/{envId}/identities/{identifier}/flags`, operation: 'explainIdentityFlags', access: read, summary: "An identity's evaluated flags, each with the source of its value (identity, tenant or segment override, split bucket, default)" },
  { method: 'GET', path: `${A}/environments/{envId}/overrides`, operation: 'listEnvironmentOverrides', access: read, summary: 'Every segment, tenant and identity override of the environment (or of one feature)', query: schemas.environmentOverridesQuery },
  { method: 'GET', path: `${A}/environments/{envId}/analytics/evaluations`, operation: 'getEvaluationAnalytics', access: read, summary: 'Evaluations per flag per day, as SDKs report them', query: schemas.evaluationAnalyticsQuery },
  // Webhooks carry data out of Vexilla: environment admins only.
  { method: 'GET', path: WH, operation: 'listWebhooks', access: admin, summary: 'Webhooks of the environment (without secrets)' },
  { method: 'POST', path: WH, operation: 'createWebhook', access: admin, summary: 'Create a webhook; its signing secret is shown once', body: schemas.createWebhookBody, status: 201 },
  { method: 'GET', path: `${WH}/{webhookId}`, operation: 'getWebhook', access: admin, summary: 'A webhook (without its secret)' },
  { method: 'PATCH', path: `${WH}/{webhookId}`, operation: 'updateWebhook', access: admin, summary: 'Update a webhook (URL, events, enabled, description)', body: schemas.updateWebhookBody },
  { method: 'DELETE', path: `${WH}/{webhookId}`, operation: 'deleteWebhook', access: admin, summary: 'Delete a webhook', status: 204 },
  { method: 'POST', path: `${WH}/{webhookId}/secret`, operation: 'rotateWebhookSecret', access: admin, summary: 'Replace the signing secret; the new one is shown once', status: 201 },
  { method: 'GET', path: `${WH}/{webhookId}/deliveries`, operation: 'listWebhookDeliveries', access: admin, summary: 'Deliveries, newest first; ?status=failed is the dead-letter list', query: schemas.deliveriesQuery },
  { method: 'GET', path: `${WH}/{webhookId}/deliveries/{deliveryId}`, operation: 'getWebhookDelivery', access: admin, summary: 'A delivery with its attempts and body' },
  { method: 'POST', path: `${WH}/{webhookId}/deliveries/{deliveryId}/redeliver`, operation: 'redeliverWebhookDelivery', access: admin, summary: 'Send a failed or delivered delivery again, from its first attempt', status: 202 },

  // Governance: change requests and scheduled changes.
  { method: 'GET', path: CR, operation: 'listChangeRequests', access: read, summary: 'Change requests, newest first', query: schemas.listQuery },
  { method: 'POST', path: CR, operation: 'createChangeRequest', access: write, summary: 'Propose changes to feature states and segment or tenant overrides', body: schemas.createChangeRequestBody, status: 201 },
  { method: 'GET', path: `${CR}/{changeRequestId}`, operation: 'getChangeRequest', access: read, summary: 'A change request' },
  { method: 'PATCH', path: `${CR}/{changeRequestId}`, operation: 'updateChangeRequest', access: write, summary: 'Edit an open change request; new changes reset its approvals', body: schemas.updateChangeRequestBody },
  { method: 'POST', path: `${CR}/{changeRequestId}/approve`, operation: 'approveChangeRequest', access: write, summary: "Approve a change request (not one's own)", body: schemas.changeRequestActionBody },
  { method: 'POST', path: `${CR}/{changeRequestId}/comments`, operation: 'commentChangeRequest', access: write, summary: 'Comment on a change request', body: schemas.commentChangeRequestBody, status: 201 },
  { method: 'POST', path: `${CR}/{changeRequestId}/apply`, operation: 'applyChangeRequest', access: write, summary: 'Apply an approved change request atomically (409 with the diff if a state moved)', body: schemas.changeRequestActionBody },
  { method: 'POST', path: `${CR}/{changeRequestId}/close`, operation: 'closeChangeRequest', access: write, summary: 'Close a change request without applying it', body: schemas.changeRequestActionBody },
  { method: 'GET', path: SC, operation: 'listScheduledChanges', access: read, summary: 'Scheduled changes', query: schemas.listQuery },
  { method: 'POST', path: SC, operation: 'createScheduledChange', access: write, summary: 'Schedule changes, or an approved change request, at an instant', body: schemas.createScheduledChangeBody, status: 201 },
  { method: 'GET', path: `${SC}/{scheduledChangeId}`, operation: 'getScheduledChange', access: read, summary: 'A scheduled change' },
  { method: 'DELETE', path: `${SC}/{scheduledChangeId}`, operation: 'cancelScheduledChange', access: write, summary: 'Cancel a scheduled change and delete its schedule' },

  // Progressive rollouts, guarded by CloudWatch alarms.
  { method: 'GET', path: RO, operation: 'listRollouts', access: read, summary: 'Rollouts with their progress, newest first', query: schemas.listQuery },
  {
    method: 'POST',
    path: RO,
    operation: 'createRollout',
    access: write,
    summary: 'Roll a feature out step by step, guarded by alarms (where approvals are required: opens a change request that starts it)',
    body: schemas.createRolloutBody,
    status: 201,
  },
  { method: 'GET', path: `${RO}/{rolloutId}`, operation: 'getRollout', access: read, summary: 'A rollout: its plan, step, percentage, history and why it stopped' },
  { method: 'GET', path: `${RO}/{rolloutId}/alarms`, operation: 'getRolloutAlarms', access: read, summary: "The current state of the rollout's guard alarms" },
  { method: 'POST', path: `${RO}/{rolloutId}/pause`, operation: 'pauseRollout', access: write, summary: 'Hold a running rollout at its percentage', body: schemas.rolloutActionBody },
  { method: 'POST', path: `${RO}/{rolloutId}/resume`, operation: 'resumeRollout', access: write, summary: 'Run a paused rollout again', body: schemas.rolloutActionBody },
  { method: 'POST', path: `${RO}/{rolloutId}/advance`, operation: 'advanceRollout', access: write, summary: 'Serve the next step now (guard alarms checked first)', body: schemas.rolloutActionBody },
  { method: 'POST', path: `${RO}/{rolloutId}/abort`, operation: 'abortRollout', access: write, summary: 'Roll back to where it started (or cancel one awaiting approval)', body: schemas.rolloutActionBody },
  {
    method: 'POST',
    path: `${A}/organisations/{orgId}/simulated-alarms`,
    operation: 'simulateAlarm',
    access: admin,
    summary: "Local stack only: set a CloudWatch alarm's state, as an alarm state change would (refused in AWS deployments)",
    body: schemas.simulateAlarmBody,
  },
];

const tenantToken: Access = { credential: 'tenant-token' };
const T = '/tenant/v1';

/** Tenant admins' self-service, with a tenant token: their tenant's configurable features, values and history. */
const tenantRoutes: Omit<Route, 'function'>[] = [
  { method: 'GET', path: `${T}/features`, operation: 'listTenantFeatures', access: tenantToken, summary: "The tenant's configurable features: value, where it comes from (override, template, default) and constraints" },
  { method: 'GET', path: `${T}/features/{featureName}`, operation: 'getTenantFeature', access: tenantToken, summary: 'One configurable feature, as the list shows it' },
  { method: 'PUT', path: `${T}/features/{featureName}`, operation: 'setTenantFeatureValue', access: tenantToken, summary: "Set the tenant's value (and on/off, where allowed) within the constraints (422 naming the problem)", body: tenantSchemas.putTenantValueBody },
  { method: 'DELETE', path: `${T}/features/{featureName}`, operation: 'resetTenantFeatureValue', access: tenantToken, summary: "Remove the tenant's own value: its template's or the default applies again" },
  { method: 'GET', path: `${T}/history`, operation: 'listTenantHistory', access: tenantToken, summary: "Changes to the tenant's values, newest first", query: tenantSchemas.tenantHistoryQuery },
  { method: 'GET', path: `${T}/segments`, operation: 'listTenantSegments', access: tenantToken, summary: "The tenant's own segments (cohorts that only ever match its identities)", query: tenantSchemas.tenantHistoryQuery },
  { method: 'POST', path: `${T}/segments`, operation: 'createTenantSegment', access: tenantToken, summary: 'Create a segment of the tenant (scoped to it by the token)', body: tenantSchemas.tenantSegmentBody, status: 201 },
  { method: 'PATCH', path: `${T}/segments/{segmentId}`, operation: 'updateTenantSegment', access: tenantToken, summary: "Update one of the tenant's segments", body: tenantSchemas.tenantSegmentPatchBody },
  { method: 'DELETE', path: `${T}/segments/{segmentId}`, operation: 'deleteTenantSegment', access: tenantToken, summary: "Delete one of the tenant's segments" },
];

/** Whether a route is a cached route's path as the edge forwards it (see `edgeRoutes` in ./sdk-routes.ts). */
export const isEdgeRoute = (route: { path: string }) => route.path.startsWith(`${EDGE_PREFIX}/`);

/**
 * Public routes hold no data: the OpenAPI document describes the API; the sign-in configuration
 * tells the dashboard which identity provider to send people to, before anyone has signed in.
 */
export const publicRoutes = [
  { method: 'GET', path: `${A}/openapi.json`, operation: 'getOpenApi', function: 'admin-api' as FunctionName, summary: 'This document' },
  {
    method: 'GET',
    path: `${A}/auth/config`,
    operation: 'getSignInConfig',
    function: 'admin-api' as FunctionName,
    summary: 'How people sign in: the OpenID issuer, its discovery URL, the client id, scopes and redirect path (authorization code with PKCE)',
  },
] as const;

export const routes: Route[] = [
  ...adminRoutes.map((route): Route => ({ ...route, function: 'admin-api' })),
  ...sdkApiRoutes,
  ...tenantRoutes.map((route): Route => ({ ...route, function: 'tenant-api' })),
];

/**
 * The first path segment of every API a viewer calls (`/admin/`, `/api/`, `/ofrep/`): CloudFront
 * and the local stack send these paths to the APIs and every other one to the dashboard. The
 * `/edge/` paths are cached routes as CloudFront forwards them, never a viewer's.
 */
export const apiPathPrefixes: readonly string[] = [
  ...new Set([...routes, ...publicRoutes].filter((route) => !isEdgeRoute(route)).map((route) => `/${route.path.split('/')[1]}/`)),
].sort();

export { routeKey } from './sdk-routes.js';
