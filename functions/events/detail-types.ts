/**
 * The event contract: one versioned zod schema per detail-type, for the `detail` of every event
 * the publisher puts on the bus (source `vexilla`). Consumers, and customers who attach their own
 * EventBridge rules, receive exactly this shape; `eventSchemas()` renders it as JSON Schema.
 *
 * Versioning: `version` is part of the detail. A breaking change to a detail-type adds a v2
 * schema next to v1 and publishes both until consumers move; additive optional fields stay v1.
 */
import * as z from 'zod';
import type { ChangeAction, ChangeEvent, DetailType } from '../domain/entities.js';
import { actorRefSchema } from '../domain/actor-schema.js';

export const DETAIL_VERSION = 1;

/** Which ids a detail-type always carries, beyond the organisation. */
type Scope = 'organisation' | 'project' | 'environment';

interface DetailTypeSpec {
  scope: Scope;
  /** The `subject.kind` values the write path uses for this detail-type. */
  subjectKinds: readonly [string, ...string[]];
  description: string;
}

/** Typed as a full Record so that a new DetailType does not compile until it has a schema. */
const specs = {
  'organisation.changed': { scope: 'organisation', subjectKinds: ['organisation'], description: 'An organisation was created or renamed.' },
  'project.changed': { scope: 'project', subjectKinds: ['project'], description: 'A project was created, updated or deleted.' },
  'environment.changed': {
    scope: 'environment',
    subjectKinds: ['environment', 'tenant-token-key'],
    description: 'An environment was created, updated or deleted, or a key its tenant tokens are verified with was registered or removed (kind tenant-token-key: public keys only).',
  },
  'api-key.changed': { scope: 'environment', subjectKinds: ['client-key', 'server-key'], description: 'An environment key was created, rotated or revoked (never with its secret).' },
  'token.changed': { scope: 'organisation', subjectKinds: ['token'], description: 'An admin token was created or revoked (never with its secret).' },
  'feature.changed': { scope: 'project', subjectKinds: ['feature'], description: 'A feature was created, updated or deleted.' },
  'feature-state.changed': {
    scope: 'environment',
    subjectKinds: ['feature-state', 'segment-override', 'tenant-override', 'template-values'],
    description: "A feature's state in an environment, or one of its segment or tenant overrides, changed or was restored; or a template's values in the environment changed (kind template-values: every tenant it applies to).",
  },
  'segment.changed': { scope: 'project', subjectKinds: ['segment'], description: 'A segment was created, updated or deleted.' },
  'identity.changed': { scope: 'environment', subjectKinds: ['identity'], description: "An identity's traits were set, or the identity was deleted." },
  'identity-override.changed': { scope: 'environment', subjectKinds: ['identity-override'], description: 'An identity override of a feature was set or removed.' },
  'webhook.changed': {
    scope: 'environment',
    subjectKinds: ['webhook', 'webhook-delivery'],
    description: 'A webhook was created, updated, deleted or had its secret rotated (never with its secret), or a delivery was queued again (kind webhook-delivery).',
  },
  'change-request.changed': {
    scope: 'environment',
    subjectKinds: ['change-request'],
    description: 'A change request was created, edited (approvals reset), approved, commented on, applied or closed (action cancelled).',
  },
  'schedule.changed': {
    scope: 'environment',
    subjectKinds: ['scheduled-change'],
    description: 'A scheduled change was created, cancelled, applied, or failed to apply (e.g. a state moved since it was scheduled).',
  },
  'rollout.changed': {
    scope: 'environment',
    subjectKinds: ['rollout'],
    description:
      'A progressive rollout was created, started, advanced a step, paused, resumed, completed, rolled back (subject.alarm names the CloudWatch alarm that did it), aborted, cancelled or failed. Each step also changes the feature state (feature-state.changed).',
  },
  'member.changed': {
    scope: 'organisation',
    subjectKinds: ['member', 'invitation', 'group-rule'],
    description:
      "Who may sign in to the organisation changed: a person joined (an invitation accepted), had their roles changed or was removed (kind member); an invitation was created or revoked (kind invitation); a directory group's roles were set or removed (kind group-rule).",
  },
  'tenant.changed': {
    scope: 'project',
    subjectKinds: ['tenant'],
    description: "A tenant was created, deleted, or had its name or traits changed (subject.tenantKey names it); segment conditions on its traits (tenant.<trait>) follow.",
  },
  'template.changed': {
    scope: 'project',
    subjectKinds: ['template'],
    description: 'A template was created, deleted, or had its name, rank or tenant-trait rule changed (subject.templateKey names it); its values per environment change with feature-state.changed (kind template-values).',
  },
} as const satisfies Record<DetailType, DetailTypeSpec>;

/** Every detail-type, in declaration order. */
export const detailTypes = Object.keys(specs) as DetailType[];

const entityImage = z
  .record(z.string(), z.unknown())
  .nullable()
  .describe('The entity as stored (secrets never included); null when it did not exist on that side of the change.');

const id = z.string().min(1);

const imageDigest = z
  .object({
    sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('SHA-256 (hex) of the image as JSON with sorted keys and no spaces.'),
    bytes: z.number().int().min(0).describe("Size of that JSON in UTF-8."),
  })
  .strict();

/** The fields every detail-type shares; each detail-type narrows scope and subject kinds. */
const baseDetail = z.object({
  version: z.literal(DETAIL_VERSION),
  eventId: id.describe('Unique per committed change; consumers deduplicate on it (delivery is at-least-once).'),
  organisationId: id,
  projectId: id.optional(),
  environmentId: id.optional(),
  actor: actorRefSchema.strict(),
  action: z.enum([
    'created',
    'updated',
    'deleted',
    'restored',
    'approved',
    'commented',
    'applied',
    'cancelled',
    'failed',
    'started',
    'advanced',
    'paused',
    'resumed',
    'completed',
    'rolled-back',
    'aborted',
  ] satisfies ChangeAction[]),
  subject: z.object({ kind: z.string() }).catchall(z.string()).describe('What changed, e.g. {"kind":"feature-state","featureName":"checkout"}.'),
  before: entityImage,
  after: entityImage,
  entityVersion: z.number().int().min(0).optional().describe('Version of the entity after the change, where it has one.'),
  at: z.iso.datetime({ offset: true }).describe('Commit time.'),
  omittedImages: z
    .object({ before: imageDigest.optional(), after: imageDigest.optional() })
    .strict()
    .optional()
    .describe(
      "Images left out (null above) because the event would not fit a DynamoDB item (400 KB; before is left out first) or an EventBridge entry (256 KB; both, with truncated). A left-out before image is the after image of the previous event on the same subject.",
    ),
  truncated: z
    .literal(true)
    .optional()
    .describe('Set when before/after were dropped to fit the bus size limit; read them from the audit API by eventId.'),
});

export type EventDetail = z.infer<typeof baseDetail>;

function detailSchema(detailType: DetailType, spec: DetailTypeSpec): z.ZodType<EventDetail> {
  return baseDetail
    .extend({
      projectId: spec.scope === 'organisation' ? id.optional() : id,
      environmentId: spec.scope === 'environment' ? id : id.optional(),
      subject: baseDetail.shape.subject.extend({ kind: z.enum(spec.subjectKinds) }),
    })
    .strict()
    .meta({ title: `${detailType} v${DETAIL_VERSION}`, description: spec.description });
}

/** The v1 schema of each detail-type's `detail`. */
export const detailSchemas = Object.fromEntries(
  Object.entries(specs).map(([detailType, spec]) => [detailType, detailSchema(detailType as DetailType, spec)]),
) as Record<DetailType, z.ZodType<EventDetail>>;

/** The detail every consumer receives for a committed change. Pure. */
export function toEventDetail(event: ChangeEvent): EventDetail {
  return {
    version: DETAIL_VERSION,
    eventId: event.id,
    organisationId: event.orgId,
    ...(event.projectId !== undefined ? { projectId: event.projectId } : {}),
    ...(event.envId !== undefined ? { environmentId: event.envId } : {}),
    actor: {
      tokenId: event.actor.tokenId,
      name: event.actor.name,
      ...(event.actor.type ? { type: event.actor.type } : {}),
      ...(event.actor.subject !== undefined ? { subject: event.actor.subject } : {}),
      ...(event.actor.email !== undefined ? { email: event.actor.email } : {}),
    },
    action: event.action,
    subject: event.subject as EventDetail['subject'],
    before: (event.before ?? null) as EventDetail['before'],
    after: (event.after ?? null) as EventDetail['after'],
    ...(event.omittedImages ? { omittedImages: event.omittedImages } : {}),
    ...(event.version !== undefined ? { entityVersion: event.version } : {}),
    at: event.at,
  };
}

export interface EventSchemaDocument {
  detailType: DetailType;
  version: number;
  /** JSON Schema (draft 2020-12) of the event's `detail`. */
  schema: Record<string, unknown>;
}

/**
 * JSON Schema documents for customers who write their own rules: match `source: ["vexilla"]` and
 * `detail-type: [<detailType>]`, and validate `detail` with the schema.
 */
export function eventSchemas(): EventSchemaDocument[] {
  return detailTypes.map((detailType) => ({
    detailType,
    version: DETAIL_VERSION,
    schema: z.toJSONSchema(detailSchemas[detailType], { io: 'output' }) as Record<string, unknown>,
  }));
}
