/** `GET /admin/v1/me`: who is signed in, and where they may act. */
import { queryOptions } from '@tanstack/react-query';
import { api, type Schemas, unwrap } from '../../../api/client';

export type Me = Schemas['Me'];
export type OrganisationAccess = Schemas['OrganisationAccess'];

export const meQuery = () => queryOptions({ queryKey: ['me'] as const, queryFn: () => unwrap(api.GET('/admin/v1/me')) });

/** The name to show for whoever is signed in (a person's name, email or subject: the first the identity provider gave). */
export const displayName = (me: Me) => (me.type === 'user' ? me.name || me.email || me.subject : `Token: ${me.name}`);
