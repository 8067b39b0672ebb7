import { Burger, Button, Group, Kbd, NativeSelect, NavLink, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, Suspense, useEffect, useState } from 'react';
import { NavLink as RouterNavLink, Outlet, useLocation, useNavigate, useNavigation } from 'react-router';
import { environmentsQuery, projectsQuery } from '../api/queries';
import { Loading } from '../components/loading';
import { UserMenu, useSignOut } from '../features/auth/components/user-menu';
import { paths, type Scope, scopePath, useScope } from '../lib/scope';
import classes from './shell.module.css';

// The palette (and its search UI) loads on first use: Ctrl/⌘-K or the Search button.
const CommandPalette = lazy(() => import('./command-palette'));

const NAV: { label: string; to: (scope: Scope) => string }[] = [
  { label: 'Flags', to: paths.flags },
  { label: 'Segments', to: paths.segments },
  { label: 'Identities', to: paths.identities },
  { label: 'Tenants', to: paths.tenants },
  { label: 'Change requests', to: paths.changeRequests },
  { label: 'Scheduled changes', to: paths.scheduled },
  { label: 'Rollouts', to: paths.rollouts },
  { label: 'Audit log', to: paths.audit },
  { label: 'Webhooks', to: paths.webhooks },
  { label: 'Stale flags', to: paths.stale },
  { label: 'Environment keys', to: paths.keys },
  { label: 'Analytics', to: paths.analytics },
  // Organisation-wide; under the current project and environment so the shell stays around it.
  { label: 'Members', to: (scope) => `${scopePath(scope)}/members` },
];

/** The frame of every signed-in page: where you are (project, environment), where you can go. */
export function Shell() {
  const scope = useScope();
  const [opened, { toggle, close }] = useDisclosure();
  const navigate = useNavigate();
  const location = useLocation();
  const navigation = useNavigation();
  const queryClient = useQueryClient();
  const signOut = useSignOut();
  const projects = useQuery(projectsQuery(scope.orgId));
  const [palette, setPalette] = useState<'closed' | 'opening' | 'loaded'>('closed');
  const openPalette = () => setPalette((state) => (state === 'closed' ? 'opening' : state));
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k' && palette === 'closed') {
        event.preventDefault();
        openPalette();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [palette]);
  const environments = useQuery(environmentsQuery(scope.projectId));

  // Switching environment keeps the page (the part of the URL after the scope).
  const rest = location.pathname.slice(scopePath(scope).length) || '/flags';
  const switchTo = (next: Partial<Scope>) => navigate(`${scopePath({ ...scope, ...next })}${next.projectId ? '/flags' : rest}${location.search}`);

  return (
    <div className={classes.layout} data-nav-open={opened || undefined}>
      <header className={classes.header}>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap" gap="sm">
            <Burger opened={opened} onClick={toggle} className={classes.burger} size="sm" aria-label="Toggle navigation" />
            <Text fw={700} size="lg" component="span">
              Vexilla
            </Text>
            <NativeSelect
              aria-label="Project"
              size="xs"
              w={170}
              data={(projects.data ?? [{ id: scope.projectId, name: '…' }]).map((project) => ({ value: project.id, label: project.name }))}
              value={scope.projectId}
              onChange={async (event) => {
                const projectId = event.currentTarget.value;
                if (!projectId || projectId === scope.projectId) return;
                const environments = await queryClient.fetchQuery(environmentsQuery(projectId));
                if (environments[0]) switchTo({ projectId, envId: environments[0].id });
              }}
            />
            <NativeSelect
              aria-label="Environment"
              size="xs"
              w={170}
              data={(environments.data ?? [{ id: scope.envId, name: '…' }]).map((environment) => ({ value: environment.id, label: environment.name }))}
              value={scope.envId}
              onChange={(event) => event.currentTarget.value !== scope.envId && switchTo({ envId: event.currentTarget.value })}
            />
          </Group>
          <Group wrap="nowrap" gap="xs">
            <Button variant="default" size="xs" onClick={() => (palette === 'loaded' ? window.dispatchEvent(new CustomEvent('vexilla:palette')) : openPalette())} aria-keyshortcuts="Control+K Meta+K">
              Search <VisuallyHidden>flags, segments and identities</VisuallyHidden>
              <Kbd size="xs" ml={6}>
                Ctrl K
              </Kbd>
            </Button>
            <UserMenu orgId={scope.orgId} />
            <Button variant="subtle" size="xs" onClick={signOut}>
              Sign out
            </Button>
          </Group>
        </Group>
      </header>
      <nav className={classes.nav} aria-label="Pages">
        {NAV.map((item) => (
          <NavLink key={item.label} component={RouterNavLink} to={item.to(scope)} label={item.label} onClick={close} active={location.pathname.startsWith(item.to(scope))} />
        ))}
      </nav>
      <main className={classes.main}>
        {navigation.state === 'loading' ? <Loading label="Loading page" /> : null}
        <Suspense fallback={<Loading />}>
          <Outlet />
        </Suspense>
      </main>
      {palette !== 'closed' && (
        <Suspense fallback={null}>
          <CommandPalette scope={scope} openOnMount={palette === 'opening'} onMounted={() => setPalette('loaded')} />
        </Suspense>
      )}
    </div>
  );
}
