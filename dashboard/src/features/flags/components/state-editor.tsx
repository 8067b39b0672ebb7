import { Alert, Button, Group, NumberInput, Paper, Stack, Switch, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { ApiError } from '../../../api/client';
import type { Environment, Feature, FeatureState } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { parseDraft, toDraft, ValueEditor } from '../../../components/value-editor';
import { formatValue } from '../../../components/value-view';
import { useSaveState } from '../api/feature';
import { fetchFeatureState, isVersionConflict } from '../api/toggle-flag';
import { ConflictDialog } from './conflict-dialog';
import type { Proposal } from './propose-dialog';

/** Weights per option id as the state serves them (options without an entry use their default). */
const effectiveWeights = (feature: Feature, state: FeatureState) => Object.fromEntries(feature.options.map((option) => [option.id, state.weights[option.id] ?? option.defaultWeight]));

/**
 * The flag in this environment: on/off, its value (typed editor) and, for multivariate flags,
 * the split with a live total. Saves with the version it loaded, so a change made meanwhile
 * is shown and asked about instead of overwritten.
 */
export function StateEditor({ feature, state, environment, onPropose }: { feature: Feature; state: FeatureState; environment: Environment; onPropose: (proposal: Proposal) => void }) {
  const [enabled, setEnabled] = useState(state.enabled);
  const [draft, setDraft] = useState(toDraft(feature.valueType, state.value));
  const [weights, setWeights] = useState(() => effectiveWeights(feature, state));
  const [valueError, setValueError] = useState<string>();
  const [base, setBase] = useState(state);
  const save = useSaveState(environment.id, feature.name);
  const [conflict, setConflict] = useState<FeatureState>();

  const reset = (next: FeatureState) => {
    setBase(next);
    setEnabled(next.enabled);
    setDraft(toDraft(feature.valueType, next.value));
    setWeights(effectiveWeights(feature, next));
    setValueError(undefined);
  };
  const dirty =
    enabled !== base.enabled || draft !== toDraft(feature.valueType, base.value) || JSON.stringify(weights) !== JSON.stringify(effectiveWeights(feature, base));
  // A newer state from the server (a save, a restore, another tab): start from it, unless
  // the person is editing (then saving meets the conflict dialog instead).
  useEffect(() => {
    if (state.version !== base.version && !dirty && !conflict) reset(state);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [state]);

  const multivariate = feature.kind === 'MULTIVARIATE' && feature.options.length > 0;
  const total = Object.values(weights).reduce((sum, weight) => sum + (Number.isFinite(weight) ? weight : 0), 0);
  const overweight = total > 100;
  const fields = save.error instanceof ApiError && save.error.status === 422 ? save.error.fieldErrors() : {};
  const governed = (environment.requiredApprovals ?? 0) > 0;

  const submit = (version = base.version) => {
    const parsed = parseDraft(feature.valueType, draft);
    if (!parsed.ok) return setValueError(parsed.message);
    setValueError(undefined);
    if (overweight) return;
    const body = { enabled, value: parsed.value, ...(multivariate ? { weights } : {}) };
    if (governed) {
      return onPropose({
        envId: environment.id,
        environmentName: environment.name,
        requiredApprovals: environment.requiredApprovals ?? 0,
        title: `Change ${feature.name} in ${environment.name}`,
        summary: `${feature.name} in ${environment.name}: ${enabled ? 'on' : 'off'}, value ${formatValue(parsed.value)}.`,
        changes: [{ featureName: feature.name, ...body }],
      });
    }
    save.mutate(
      { ...body, version },
      {
        onSuccess: (saved) => reset(saved),
        onError: async (error) => {
          if (isVersionConflict(error)) setConflict(await fetchFeatureState(environment.id, feature.name));
        },
      },
    );
  };
  const theirs = conflict;
  const mine = parseDraft(feature.valueType, draft);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="state-heading">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
        noValidate
      >
        <Stack>
          <Group justify="space-between">
            <Title order={2} size="h4" id="state-heading">
              In {environment.name}
            </Title>
            <Text size="xs" c="dimmed">
              version {base.version}
            </Text>
          </Group>
          {governed && (
            <Alert variant="light" color="indigo">
              {environment.name} requires {environment.requiredApprovals} approval{environment.requiredApprovals === 1 ? '' : 's'}: saving opens a change request.
            </Alert>
          )}
          <Switch label={`Enabled in ${environment.name}`} checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />
          <ValueEditor valueType={feature.valueType} draft={draft} onChange={setDraft} error={valueError ?? fields.value} label={multivariate ? 'Control value' : 'Value'} />
          {multivariate && (
            <Stack gap={4}>
              <Text fw={500} size="sm" id="split-heading">
                Split
              </Text>
              <Table aria-labelledby="split-heading" withTableBorder>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Variant value</Table.Th>
                    <Table.Th scope="col">Weight (%)</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {feature.options.map((option) => (
                    <Table.Tr key={option.id}>
                      <Table.Td>{formatValue(option.value)}</Table.Td>
                      <Table.Td>
                        <NumberInput
                          aria-label={`Weight of ${formatValue(option.value)}`}
                          value={weights[option.id] ?? 0}
                          onChange={(value) => setWeights((current) => ({ ...current, [option.id]: typeof value === 'number' ? value : Number(value) || 0 }))}
                          min={0}
                          max={100}
                          decimalScale={2}
                          w={120}
                          error={fields[`weights.${option.id}`]}
                        />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              <Text size="sm" c={overweight ? 'red.9' : undefined} role={overweight ? 'alert' : 'status'} aria-live="polite">
                {overweight ? `Weights add up to ${total}%: they may add up to 100% at most.` : `Total ${total}% · ${Math.round((100 - total) * 100) / 100}% get the control value`}
              </Text>
              {fields.weights && (
                <Text size="sm" c="red.9" role="alert">
                  {fields.weights}
                </Text>
              )}
            </Stack>
          )}
          {save.error && !isVersionConflict(save.error) && <ErrorAlert error={save.error} title={save.error instanceof ApiError && save.error.status === 422 ? 'Not saved: fix the fields marked' : 'Not saved'} />}
          {save.isSuccess && !save.isPending && (
            <Text size="sm" c="teal.9" role="status">
              Saved as version {save.data.version}.
            </Text>
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending} disabled={overweight}>
              {governed ? 'Propose change' : 'Save'}
            </Button>
          </Group>
        </Stack>
      </form>
      <ConflictDialog
        conflict={theirs && { featureName: feature.name, environmentName: environment.name, mine: { enabled, ...(mine.ok ? { value: mine.value } : {}) }, theirs }}
        onKeepTheirs={() => {
          if (theirs) reset(theirs);
          setConflict(undefined);
          save.reset();
        }}
        onApplyMine={() => {
          const version = theirs?.version;
          setConflict(undefined);
          save.reset();
          if (version !== undefined) submit(version);
        }}
        applying={save.isPending}
      />
    </Paper>
  );
}
