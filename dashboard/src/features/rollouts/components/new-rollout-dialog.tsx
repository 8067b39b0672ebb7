import { Button, Group, Modal, NativeSelect, NumberInput, Select, Stack, TagsInput, Text, Textarea, TextInput } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../../api/client';
import { featuresQuery } from '../../../api/queries';
import { Choice } from '../../../components/choice';
import { ErrorAlert } from '../../../components/error-alert';
import { parseDraft, toDraft, ValueEditor } from '../../../components/value-editor';
import { formatValue } from '../../../components/value-view';
import { type CreateRolloutBody, type Rollout, useCreateRollout } from '../api/rollouts';

const UNITS = { seconds: 1, minutes: 60, hours: 3600 } as const;
type Unit = keyof typeof UNITS;

/** The first message the API gave for a field or anything inside it (`steps` covers `steps.percentages.1`). */
function fieldError(fields: Record<string, string>, ...prefixes: string[]): string | undefined {
  for (const [path, message] of Object.entries(fields)) if (prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}.`))) return message;
  return undefined;
}

/** "5, 25, 50" → [5, 25, 50]; anything else is left for the API to refuse with its own words. */
const parsePercentages = (text: string) =>
  text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);

/**
 * A new rollout: the feature, what it rolls out (on, a value or a variant), how the percentage
 * grows, how long each step bakes and which alarms guard it. 422s land next to their fields.
 */
export function NewRolloutDialog({ projectId, envId, opened, onClose, onCreated }: { projectId: string; envId: string; opened: boolean; onClose: () => void; onCreated: (rollout: Rollout) => void }) {
  const features = useQuery(featuresQuery(projectId));
  const [featureName, setFeatureName] = useState<string | null>(null);
  const [serve, setServe] = useState<'on' | 'value' | 'variant'>('on');
  const [draft, setDraft] = useState('');
  const [variant, setVariant] = useState<string | null>(null);
  const [stepsType, setStepsType] = useState<'linear' | 'exponential' | 'percentages'>('percentages');
  const [linearSteps, setLinearSteps] = useState<number | string>(4);
  const [start, setStart] = useState<number | string>(1);
  const [factor, setFactor] = useState<number | string>(5);
  const [percentages, setPercentages] = useState('5, 25, 50');
  const [bake, setBake] = useState<number | string>(30);
  const [bakeUnit, setBakeUnit] = useState<Unit>('minutes');
  const [finalBake, setFinalBake] = useState<number | string>(0);
  const [alarms, setAlarms] = useState<string[]>([]);
  const [description, setDescription] = useState('');
  const [valueError, setValueError] = useState<string>();
  const create = useCreateRollout(envId);
  const fields = create.error instanceof ApiError && create.error.status === 422 ? create.error.fieldErrors() : {};
  const feature = features.data?.find((candidate) => candidate.name === featureName);
  const valueType = feature?.valueType ?? 'string';

  const submit = () => {
    let target: CreateRolloutBody['target'] = { enabled: true };
    if (serve === 'value') {
      const parsed = parseDraft(valueType, draft);
      if (!parsed.ok) return setValueError(parsed.message);
      target = { enabled: true, value: parsed.value as never };
    }
    if (serve === 'variant') target = { enabled: true, ...(variant ? { variant } : {}) };
    setValueError(undefined);
    const steps: CreateRolloutBody['steps'] =
      stepsType === 'linear'
        ? { type: 'linear', steps: Number(linearSteps) }
        : stepsType === 'exponential'
          ? { type: 'exponential', start: Number(start), factor: Number(factor) }
          : { type: 'percentages', percentages: parsePercentages(percentages) };
    create.mutate(
      {
        featureName: featureName ?? '',
        target,
        steps,
        bakeSeconds: Math.round(Number(bake) * UNITS[bakeUnit]),
        finalBakeSeconds: Math.round(Number(finalBake) * UNITS[bakeUnit]),
        guardAlarms: alarms,
        description,
      },
      { onSuccess: onCreated },
    );
  };

  const unmatched = create.error && !Object.keys(fields).some((path) => ['featureName', 'target', 'steps', 'bakeSeconds', 'finalBakeSeconds', 'guardAlarms', 'description'].some((prefix) => path === prefix || path.startsWith(`${prefix}.`)));

  return (
    <Modal opened={opened} onClose={onClose} title="New rollout" size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          submit();
        }}
      >
        <Stack>
          <Select
            label="Feature"
            searchable
            data={(features.data ?? []).map((candidate) => candidate.name)}
            value={featureName}
            onChange={(next) => {
              setFeatureName(next);
              setVariant(null);
              const chosen = features.data?.find((candidate) => candidate.name === next);
              setDraft(toDraft(chosen?.valueType ?? 'string', chosen?.initialValue ?? null));
            }}
            error={fieldError(fields, 'featureName')}
            required
            data-autofocus
          />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="rollout-serve">
              Serve
            </Text>
            <Choice
              labelledBy="rollout-serve"
              data={[
                { value: 'on', label: 'On, with its value' },
                { value: 'value', label: 'A value' },
                ...(feature?.options.length ? [{ value: 'variant', label: 'A variant' }] : []),
              ]}
              value={serve}
              onChange={(next) => setServe(next as typeof serve)}
            />
          </Stack>
          {serve === 'value' && <ValueEditor valueType={valueType} draft={draft} onChange={setDraft} error={valueError ?? fieldError(fields, 'target.value')} label="Value to roll out" />}
          {serve === 'variant' && feature && (
            <Select
              label="Variant"
              data={feature.options.map((option) => ({ value: option.id, label: `${option.id}: ${formatValue(option.value)}` }))}
              value={variant}
              onChange={setVariant}
              error={fieldError(fields, 'target.variant')}
              required
            />
          )}
          <Stack gap={4}>
            <Text size="sm" fw={500} id="rollout-steps">
              Steps
            </Text>
            <Choice
              labelledBy="rollout-steps"
              data={[
                { value: 'percentages', label: 'Percentages' },
                { value: 'linear', label: 'Linear' },
                { value: 'exponential', label: 'Exponential' },
              ]}
              value={stepsType}
              onChange={(next) => setStepsType(next as typeof stepsType)}
            />
          </Stack>
          {stepsType === 'percentages' && (
            <TextInput label="Percentages" description="Rising, separated by commas; 100 is added at the end" value={percentages} onChange={(event) => setPercentages(event.currentTarget.value)} error={fieldError(fields, 'steps')} />
          )}
          {stepsType === 'linear' && <NumberInput label="Number of steps" description="Equal steps to 100%" value={linearSteps} onChange={setLinearSteps} min={1} allowDecimal={false} error={fieldError(fields, 'steps')} />}
          {stepsType === 'exponential' && (
            <Group grow align="flex-start">
              <NumberInput label="First percentage" value={start} onChange={setStart} min={0} max={99} error={fieldError(fields, 'steps.start') ?? fields.steps} />
              <NumberInput label="Factor" description="Each step multiplies the last" value={factor} onChange={setFactor} min={1.1} step={0.5} error={fieldError(fields, 'steps.factor')} />
            </Group>
          )}
          <Group grow align="flex-start">
            <NumberInput label="Bake time per step" value={bake} onChange={setBake} min={0} error={fieldError(fields, 'bakeSeconds')} />
            <NumberInput label="Final bake at 100%" description="Still guarded, before it completes" value={finalBake} onChange={setFinalBake} min={0} error={fieldError(fields, 'finalBakeSeconds')} />
            <NativeSelect label="Unit" data={Object.keys(UNITS)} value={bakeUnit} onChange={(event) => setBakeUnit(event.currentTarget.value as Unit)} />
          </Group>
          <TagsInput
            label="Guard alarms"
            description="CloudWatch alarm names or ARNs: an alarm in ALARM rolls the rollout back. Press Enter after each."
            value={alarms}
            onChange={setAlarms}
            error={fieldError(fields, 'guardAlarms')}
          />
          <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} error={fieldError(fields, 'description')} autosize minRows={2} />
          {unmatched && <ErrorAlert error={create.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Start rollout
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
