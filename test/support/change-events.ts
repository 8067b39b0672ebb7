import type { ChangeEvent } from '../../functions/domain/entities.js';

/** A committed feature-state change as the write path stores it; override what a test varies. */
export const featureStateEvent = (overrides: Partial<ChangeEvent> = {}): ChangeEvent => ({
  type: 'event',
  id: 'evt-1',
  detailType: 'feature-state.changed',
  action: 'updated',
  orgId: 'org-1',
  projectId: 'prj-1',
  envId: 'env-1',
  subject: { kind: 'feature-state', featureName: 'checkout' },
  actor: { tokenId: 'tok-1', name: 'ana' },
  before: { enabled: false, value: 'old', version: 1 },
  after: { enabled: true, value: 'new', version: 2 },
  version: 2,
  at: '2026-01-02T03:04:05.678Z',
  ...overrides,
});
