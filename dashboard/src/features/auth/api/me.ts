/** `GET /admin/v1/me`: who is signed in, and where they may act. */
import { queryOptions } from '@tanstack/react-query';
import { api, unwrap } from '../../../api/client';

export interface OrganisationAccess {
  id: string;
  name: string;
}

export type Me =
  | { type: 'token'; id: string; name: string; organisations: OrganisationAccess[] }
  | { type: 'user'; id: string; subject: string; email?: string | null; name?: string | null; organisations: OrganisationAccess[]; hint?: string };

// The document types this answer loosely (unknown): the fields the dashboard reads are checked here.
function parseMe(body: unknown): Me {
  const value = (body ?? {}) as Record<string, unknown>;
  const organisations = (Array.isArray(value.organisations) ? value.organisations : [])
    .filter((item): item is OrganisationAccess => typeof item?.id === 'string' && typeof item?.name === 'string')
    .map(({ id, name }) => ({ id, name }));
  const text = (field: unknown) => (typeof field === 'string' && field ? field : undefined);
  if (value.type === 'user') {
    return { type: 'user', id: String(value.id), subject: String(value.subject), email: text(value.email) ?? null, name: text(value.name) ?? null, organisations, ...(text(value.hint) ? { hint: text(value.hint) as string } : {}) };
  }
  return { type: 'token', id: String(value.id), name: text(value.name) ?? 'admin token', organisations };
}

export const meQuery = () => queryOptions({ queryKey: ['me'] as const, queryFn: async () => parseMe(await unwrap(api.GET('/admin/v1/me'))) });

/** The name to show for whoever is signed in. */
export const displayName = (me: Me) => (me.type === 'user' ? (me.name ?? me.email ?? me.subject) : `Token: ${me.name}`);
