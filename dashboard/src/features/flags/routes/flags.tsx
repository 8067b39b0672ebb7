import { Choice } from '../../../components/choice';
import { Button, Group, MultiSelect, Text, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { flagsMatrixQuery, type MatrixEnvironment as Environment, type MatrixFeature as Feature, type MatrixState as FeatureState, staleQuery } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { fetchFeatureState, isVersionConflict, useToggleFlag } from '../api/toggle-flag';
import { type Conflict, ConflictDialog } from '../components/conflict-dialog';
import { CreateFlagDialog } from '../components/create-flag-dialog';
import { type FlagRow, FlagsTable } from '../components/flags-table';
import { type Proposal, ProposeDialog } from '../components/propose-dialog';

/** The order people read names in (the API's is by bytes: capitals first). */
const byName = new Intl.Collator();

const SHOW = ['all', 'enabled', 'disabled', 'stale', 'overridden'] as const;
type Show = (typeof SHOW)[number];

/** The flags of the project, every environment side by side; filters live in the URL. */
export default function FlagsRoute() {
  const scope = useScope();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const search = params.get('q') ?? '';
  const tags = params.get('tags')?.split(',').filter(Boolean) ?? [];
  const show: Show = (SHOW as readonly string[]).includes(params.get('show') ?? '') ? (params.get('show') as Show) : 'all';
  const setParam = (name: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );

  // One request: every feature once, and its slim state in each environment the caller may read.
  const matrix = useQuery(flagsMatrixQuery(scope.projectId));
  const envList = useMemo(() => matrix.data?.environments ?? [], [matrix.data]);
  // Staleness (a badge and a filter) reads evaluation analytics of every environment: it is
  // asked for once the first screen is drawn, so it does not slow the request that screen waits for.
  const stale = useQuery({ ...staleQuery(scope.projectId), enabled: matrix.isSuccess });
  const current = Math.max(0, envList.findIndex((environment) => environment.id === scope.envId));
  const toggle = useToggleFlag();
  const [conflict, setConflict] = useState<(Conflict & { envId: string }) | undefined>();
  const [proposal, setProposal] = useState<Proposal>();
  const [creating, setCreating] = useState(false);

  const staleNames = useMemo(() => new Set((stale.data?.items ?? []).map((item) => item.name)), [stale.data]);
  // Each feature with its states side by side. A toggle replaces one environment's list and one
  // state in it (api/toggle-flag.ts), so every other row keeps its states and does not render again.
  const allRows = useMemo(() => {
    const data = matrix.data;
    if (!data) return [];
    return data.features
      .map((feature, i) => ({ feature, states: data.environments.map((environment) => environment.states[i]) }))
      .sort((a, b) => byName.compare(a.feature.name, b.feature.name));
  }, [matrix.data]);
  const rows = useMemo((): FlagRow[] => {
    const needle = search.trim().toLowerCase();
    return allRows
      .map(({ feature, states }) => {
        const here = states[current]?.overrides;
        return { feature, states, overrides: here ? here.segments + here.tenants + here.identities : 0, stale: staleNames.has(feature.name) };
      })
      .filter(({ feature, states: row, overrides: count, stale: isStale }) => {
        if (needle && !`${feature.name} ${feature.description} ${feature.tags.join(' ')}`.toLowerCase().includes(needle)) return false;
        if (tags.length && !tags.every((tag) => feature.tags.includes(tag))) return false;
        const here = row[current];
        if (show === 'enabled') return here?.enabled === true;
        if (show === 'disabled') return here?.enabled === false;
        if (show === 'stale') return isStale;
        if (show === 'overridden') return count > 0;
        return true;
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [allRows, staleNames, search, tags.join(','), show, current]);

  const allTags = useMemo(() => [...new Set((matrix.data?.features ?? []).flatMap((feature) => feature.tags))].sort(), [matrix.data]);

  const runToggle = useCallback(
    (environment: Environment, featureName: string, enabled: boolean, version: number) =>
      toggle.mutate(
        { projectId: scope.projectId, envId: environment.id, featureName, enabled, version },
        {
          onError: async (error) => {
            if (!isVersionConflict(error)) return;
            const theirs = await fetchFeatureState(environment.id, featureName);
            setConflict({ featureName, environmentName: environment.name, mine: { enabled }, theirs, envId: environment.id });
          },
        },
      ),
    [toggle.mutate, scope.projectId],
  );

  const onToggle = useCallback(
    (feature: Feature, environment: Environment, state: FeatureState, enabled: boolean) => {
      // A governed environment takes changes as change requests: the switch proposes one.
      if ((environment.requiredApprovals ?? 0) > 0) {
        setProposal({
          envId: environment.id,
          environmentName: environment.name,
          requiredApprovals: environment.requiredApprovals ?? 0,
          title: `Turn ${feature.name} ${enabled ? 'on' : 'off'} in ${environment.name}`,
          summary: `${feature.name}: ${state.enabled ? 'on' : 'off'} → ${enabled ? 'on' : 'off'} in ${environment.name}.`,
          changes: [{ featureName: feature.name, enabled }],
        });
        return;
      }
      runToggle(environment, feature.name, enabled, state.version);
    },
    [runToggle],
  );

  const error = matrix.error;
  const lastError = toggle.error && !isVersionConflict(toggle.error) ? toggle.error : undefined;

  return (
    <Page
      title="Flags"
      actions={
        <Button onClick={() => setCreating(true)} size="sm">
          Create flag
        </Button>
      }
    >
      <Group align="flex-end" gap="sm" wrap="wrap">
        <TextInput label="Search flags" placeholder="Name, description or tag" value={search} onChange={(event) => setParam('q', event.currentTarget.value)} w={260} type="search" />
        <MultiSelect label="Tags" data={allTags} value={tags} onChange={(next) => setParam('tags', next.join(','))} w={220} clearable searchable />
        <div>
          <Text component="span" size="sm" fw={500} id="show-label" display="block">
            Show (in {envList[current]?.name ?? 'this environment'})
          </Text>
          <Choice
            labelledBy="show-label"
            value={show}
            onChange={(next) => setParam('show', next === 'all' ? '' : next)}
            data={[
              { value: 'all', label: 'All' },
              { value: 'enabled', label: 'Enabled' },
              { value: 'disabled', label: 'Disabled' },
              { value: 'stale', label: 'Stale' },
              { value: 'overridden', label: 'Has overrides' },
            ]}
          />
        </div>
      </Group>
      {error ? <ErrorAlert error={error} /> : null}
      {lastError ? <ErrorAlert error={lastError} title="The change was not saved" /> : null}
      {matrix.isPending ? (
        <Loading label="Loading flags" />
      ) : (
        <>
          <Text size="sm" c="dimmed" aria-live="polite">
            {rows.length} of {matrix.data?.features.length ?? 0} flags
          </Text>
          <FlagsTable rows={rows} environments={envList} current={current} hrefOf={(feature) => paths.feature(scope, feature.name)} onToggle={onToggle} />
        </>
      )}
      <ConflictDialog
        conflict={conflict}
        applying={toggle.isPending}
        onKeepTheirs={() => setConflict(undefined)}
        onApplyMine={() => {
          if (!conflict) return;
          const environment = envList.find((candidate) => candidate.id === conflict.envId);
          setConflict(undefined);
          if (environment && conflict.mine.enabled !== undefined) runToggle(environment, conflict.featureName, conflict.mine.enabled, conflict.theirs.version);
        }}
      />
      <ProposeDialog proposal={proposal} scope={scope} onClose={() => setProposal(undefined)} />
      <CreateFlagDialog
        projectId={scope.projectId}
        opened={creating}
        onClose={() => setCreating(false)}
        onCreated={(name) => {
          setCreating(false);
          navigate(paths.feature(scope, name));
        }}
      />
    </Page>
  );
}
