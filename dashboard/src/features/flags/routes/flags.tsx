import { Choice } from '../../../components/choice';
import { Button, Group, MultiSelect, Text, TextInput } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useCallback, useMemo, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { environmentOverridesQuery, type Environment, type Feature, type FeatureState, featureStatesQuery, staleQuery, useEnvironments, useFeatures } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { fetchFeatureState, isVersionConflict, useToggleFlag } from '../api/toggle-flag';
import { type Conflict, ConflictDialog } from '../components/conflict-dialog';
import { CreateFlagDialog } from '../components/create-flag-dialog';
import { type FlagRow, FlagsTable } from '../components/flags-table';
import { type Proposal, ProposeDialog } from '../components/propose-dialog';

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

  const features = useFeatures(scope.projectId);
  const environments = useEnvironments(scope.projectId);
  const envList = useMemo(() => environments.data ?? [], [environments.data]);
  const states = useQueries({ queries: envList.map((environment) => featureStatesQuery(environment.id)) });
  // The first screen needs the features and their states; override counts and staleness (badges
  // and two filters) are asked for once it is drawn, so they do not slow the requests it waits for.
  const firstScreen = features.isSuccess && environments.isSuccess && states.every((query) => query.isSuccess);
  const overrides = useQuery({ ...environmentOverridesQuery(scope.envId), enabled: firstScreen });
  const stale = useQuery({ ...staleQuery(scope.projectId), enabled: firstScreen });
  const current = Math.max(0, envList.findIndex((environment) => environment.id === scope.envId));

  const toggle = useToggleFlag();
  const [conflict, setConflict] = useState<(Conflict & { envId: string }) | undefined>();
  const [proposal, setProposal] = useState<Proposal>();
  const [creating, setCreating] = useState(false);

  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stateKey = states.map((query) => query.dataUpdatedAt).join(',');
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const stateMaps = useMemo(() => states.map((query) => new Map((query.data ?? []).map((state) => [state.featureName, state]))), [stateKey]);
  const staleNames = useMemo(() => new Set((stale.data?.items ?? []).map((item) => item.name)), [stale.data]);
  const overrideCounts = useMemo(() => {
    const counts = new Map<string, number>();
    const data = overrides.data;
    for (const override of [...(data?.segmentOverrides ?? []), ...(data?.tenantOverrides ?? []), ...(data?.identityOverrides ?? [])]) {
      counts.set(override.featureName, (counts.get(override.featureName) ?? 0) + 1);
    }
    return counts;
  }, [overrides.data]);

  const rows = useMemo((): FlagRow[] => {
    const needle = search.trim().toLowerCase();
    return (features.data ?? [])
      .map((feature) => ({
        feature,
        states: stateMaps.map((map) => map.get(feature.name)),
        overrides: overrideCounts.get(feature.name) ?? 0,
        stale: staleNames.has(feature.name),
      }))
      .filter(({ feature, states: row, overrides: count, stale: isStale }) => {
        if (needle && !`${feature.name} ${feature.description} ${feature.tags.join(' ')}`.toLowerCase().includes(needle)) return false;
        if (tags.length && !tags.every((tag) => feature.tags.includes(tag))) return false;
        const here = row[current];
        if (show === 'enabled') return here?.enabled === true;
        if (show === 'disabled') return here?.enabled === false;
        if (show === 'stale') return isStale;
        if (show === 'overridden') return count > 0;
        return true;
      })
      .sort((a, b) => a.feature.name.localeCompare(b.feature.name));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [features.data, stateMaps, overrideCounts, staleNames, search, tags.join(','), show, current]);

  const allTags = useMemo(() => [...new Set((features.data ?? []).flatMap((feature) => feature.tags))].sort(), [features.data]);

  const runToggle = useCallback(
    (environment: Environment, featureName: string, enabled: boolean, version: number) =>
      toggle.mutate(
        { envId: environment.id, featureName, enabled, version },
        {
          onError: async (error) => {
            if (!isVersionConflict(error)) return;
            const theirs = await fetchFeatureState(environment.id, featureName);
            setConflict({ featureName, environmentName: environment.name, mine: { enabled }, theirs, envId: environment.id });
          },
        },
      ),
    [toggle.mutate],
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

  const error = features.error ?? environments.error ?? states.find((query) => query.error)?.error;
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
      {features.isPending || environments.isPending ? (
        <Loading label="Loading flags" />
      ) : (
        <>
          <Text size="sm" c="dimmed" aria-live="polite">
            {rows.length} of {features.data?.length ?? 0} flags
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
