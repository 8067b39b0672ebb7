import { Button, Container, Menu, Stack, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect } from 'react';
import { useNavigate, useParams } from 'react-router';
import { ACCESS_CHANGED } from '../../../api/client';
import { signOutEverywhere } from '../../../lib/auth';
import { displayName, meQuery } from '../api/me';

/** Signs out here and at the identity provider; the sign-in page when the provider has no end-session endpoint. */
export function useSignOut() {
  const navigate = useNavigate();
  return async () => {
    // Ending the session empties the query cache (app/provider.tsx).
    if (!(await signOutEverywhere())) navigate('/sign-in', { replace: true });
  };
}

/** Who is signed in (name and email from /admin/v1/me) and their organisations. */
export function UserMenu({ orgId }: { orgId: string }) {
  const me = useQuery(meQuery());
  const navigate = useNavigate();
  if (!me.data) return null;
  const person = me.data.type === 'user' ? me.data : undefined;
  return (
    <Menu position="bottom-end" withinPortal={false}>
      <Menu.Target>
        <Button variant="subtle" size="xs" aria-label={`Account: ${displayName(me.data)}`}>
          {displayName(me.data)}
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>Signed in as</Menu.Label>
        <Text size="sm" px="sm">
          {displayName(me.data)}
        </Text>
        {person?.email && person.email !== displayName(me.data) && (
          <Text size="sm" px="sm" c="dimmed">
            {person.email}
          </Text>
        )}
        <Menu.Divider />
        <Menu.Label>Organisations</Menu.Label>
        {me.data.organisations.map((organisation) => (
          <Menu.Item key={organisation.id} onClick={() => navigate(`/?org=${encodeURIComponent(organisation.id)}`)} aria-current={organisation.id === orgId ? 'true' : undefined}>
            {organisation.name}
            {organisation.id === orgId ? ' (current)' : ''}
          </Menu.Item>
        ))}
      </Menu.Dropdown>
    </Menu>
  );
}

/**
 * Shows its children while the caller may act in the organisation of the URL; otherwise says why, clearly (a person
 * removed from the organisation meets it on their next request, not when their session ends).
 */
export function MembershipGate({ children }: { children: ReactNode }) {
  const orgId = useParams().orgId ?? '';
  const queryClient = useQueryClient();
  const me = useQuery(meQuery());
  const signOut = useSignOut();
  const navigate = useNavigate();
  useEffect(() => {
    const recheck = () => void queryClient.invalidateQueries({ queryKey: meQuery().queryKey });
    window.addEventListener(ACCESS_CHANGED, recheck);
    return () => window.removeEventListener(ACCESS_CHANGED, recheck);
  }, [queryClient]);
  if (!me.data || me.data.type !== 'user' || me.data.organisations.some((organisation) => organisation.id === orgId)) return children;
  const elsewhere = me.data.organisations[0];
  return (
    <Container size="sm" py="xl" component="main">
      <Stack>
        <Title order={1}>You are no longer a member of this organisation</Title>
        <Text>
          {me.data.email || displayName(me.data)} has no access to it any more: an organisation admin removed you, or your directory groups changed. Ask an organisation admin if you
          need access again.
        </Text>
        {me.data.hint && <Text>{me.data.hint}</Text>}
        {elsewhere ? (
          <Button onClick={() => navigate(`/?org=${encodeURIComponent(elsewhere.id)}`, { replace: true })}>Go to {elsewhere.name}</Button>
        ) : null}
        <Button variant="default" onClick={signOut}>
          Sign out
        </Button>
      </Stack>
    </Container>
  );
}
