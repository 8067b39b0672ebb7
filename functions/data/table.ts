/**
 * The single table, declared once as data. CDK, the tests and the local stack all create the
 * table from this declaration, so there is one place where its shape is decided.
 *
 * Items use generic key attributes (`pk`/`sk`, `gsi1pk`/`gsi1sk`) so that each entity chooses
 * what goes in them; the access patterns below say which entity uses which key.
 *
 * Limits (domain/limits.ts `DYNAMODB`): keys of at most 2,048 bytes (partition) and 1,024 bytes
 * (sort), items of at most 400 KB nested at most 31 levels inside an attribute. keys.ts says how
 * each key stays inside them (user input in keys is bounded by schema, or, for identifiers,
 * replaced by a digest beyond 512 bytes); the store measures every item before writing and
 * refuses one DynamoDB would refuse with a 4xx, and fits change events to an item by replacing
 * images that do not fit with their digest.
 */
export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB may delete the item (outbox copies, expired cursors). */
  timeToLiveAttribute: 'expiresAt',
  indexes: {
    /**
     * Children of a parent, listed in order: projects of an organisation, environments of a
     * project, identities of an environment (sharded so millions of identities spread over
     * several partitions), server keys and tokens.
     */
    childrenByParent: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  },
} as const;

export type IndexName = keyof typeof table.indexes;

/**
 * The access patterns, for the next engineer: every request path is a GetItem, a Query on the
 * table or a Query on an index named after its pattern. Nothing on a request path scans.
 */
export const accessPatterns = {
  'organisation by id': 'GetItem pk=ORG#<orgId> sk=#META',
  'project by id': 'GetItem pk=PROJECT#<projectId> sk=#META',
  'projects of an organisation': 'Query childrenByParent gsi1pk=ORG#<orgId>#PROJECTS',
  'environment by id': 'GetItem pk=ENV#<envId> sk=#META',
  'environments of a project': 'Query childrenByParent gsi1pk=PROJECT#<projectId>#ENVS',
  'environment by API key': 'GetItem pk=APIKEY#<sha256(key)> sk=#KEY',
  'server keys of an environment': 'Query pk=ENV#<envId> sk begins_with SERVERKEY#',
  'admin token by secret': 'GetItem pk=TOKEN#<sha256(token)> sk=#TOKEN',
  'tokens of an organisation': 'Query pk=ORG#<orgId> sk begins_with TOKEN#',
  'a user and their memberships': 'Query pk=USER#<userId>',
  'members of an organisation': 'Query childrenByParent gsi1pk=ORG#<orgId>#MEMBERS (by email)',
  'invitations and group rules of an organisation': 'Query pk=ORG#<orgId> sk begins_with INVITE# | GROUPRULE#',
  'invitations to an email address': 'Query childrenByParent gsi1pk=INVITES#<email>',
  'organisations a directory group is let into': 'Query childrenByParent gsi1pk=GROUPRULE#<group>',
  'features of a project': 'Query pk=PROJECT#<projectId> sk begins_with FEATURE#',
  'segments of a project': 'Query pk=PROJECT#<projectId> sk begins_with SEGMENT#',
  // searchText: the key and name lower-cased, for `?search=` (a filter on the page read).
  'tenants of a project (by key)': 'Query pk=PROJECT#<projectId> sk begins_with TENANT#',
  'tenant by key': 'GetItem pk=PROJECT#<projectId> sk=TENANT#<tenantKey>',
  'templates of a project': 'Query pk=PROJECT#<projectId> sk begins_with TEMPLATE#',
  "template values of an environment": 'Query pk=ENV#<envId> sk begins_with TV#',
  // Keyed by feature id, not name: a feature deleted and created again starts clean.
  'feature states, segment and tenant overrides of an environment':
    'Query pk=ENV#<envId> sk begins_with FS# | SO#<featureId># | TO#<featureId>#',
  'versions of a feature state': 'Query pk=FSV#<envId>#<featureId> (newest first)',
  // <identifierKey>: the identifier, or beyond 512 bytes its first bytes + '#' + SHA-256 (keys.ts).
  'identity and its overrides': 'Query pk=IDENTITY#<envId>#<identifierKey>',
  'identities of an environment': 'Query childrenByParent gsi1pk=ENV#<envId>#IDENTITIES#<shard> (gsi1sk=<identifierKey>)',
  'identities being deleted': 'Query childrenByParent gsi1pk=ENV#<envId>#IDDELETING',
  'audit of an organisation': 'Query pk=AUDIT#<orgId> sk between <from> and <to> (newest first)',
  'identity overrides of an environment': 'Query childrenByParent gsi1pk=ENV#<envId>#IDOVERRIDES',
  'every webhook (stuck-delivery sweep)': 'Query childrenByParent gsi1pk=WEBHOOKS#ALL',
  'rollouts of an environment': 'Query pk=ENV#<envId> sk begins_with ROLLOUT# (newest first)',
  'running and paused rollouts (alarms, local restart)': 'Query childrenByParent gsi1pk=ROLLOUTS#ACTIVE',
  'numbers for Flagsmith-format ids': 'UpdateItem ADD pk=COUNTER#<name> sk=#COUNTER',
  'flag evaluations per day': 'UpdateItem ADD pk=ANALYTICS#<envId> sk=<day>#<feature>',
  'a job and its input chunks': 'GetItem pk=JOB#<jobId> sk=#JOB | Query pk=JOB#<jobId> sk begins_with CHUNK#',
  'unfinished jobs (stuck-job sweep)': 'Query childrenByParent gsi1pk=JOBS#PENDING',
  'everything of an environment (purge)': 'Query pk=ENV#<envId>',
} as const;
