import { describe, expect, it } from 'vitest';
import { allows, roleOn } from '../../functions/domain/access.js';

const org = 'org_a';
const scope = { orgId: org, projectId: 'prj_1', envId: 'env_1' };

describe('roles', () => {
  it('organisation admins do everything in their organisation and nothing elsewhere', () => {
    const token = { orgId: org, roles: { organisation: 'admin' as const } };
    expect(allows(token, scope, 'admin')).toBe(true);
    expect(allows(token, { ...scope, orgId: 'org_b' }, 'read')).toBe(false);
  });

  it('takes the strongest of the project and environment roles', () => {
    const token = { orgId: org, roles: { projects: { prj_1: 'viewer' as const }, environments: { env_1: 'editor' as const } } };
    expect(roleOn(token, scope)).toBe('editor');
    expect(roleOn(token, { ...scope, envId: 'env_2' })).toBe('viewer');
    expect(allows(token, { ...scope, envId: 'env_2' }, 'write')).toBe(false);
  });

  it('lets any member read the organisation but only admins change it', () => {
    const member = { orgId: org, roles: { environments: { env_9: 'viewer' as const } } };
    expect(allows(member, { orgId: org }, 'read')).toBe(true);
    expect(allows(member, { orgId: org }, 'write')).toBe(false);
    expect(allows({ orgId: org, roles: {} }, { orgId: org }, 'read')).toBe(false);
  });
});
