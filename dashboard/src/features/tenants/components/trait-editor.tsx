import { Button, Group, NativeSelect, Stack, Text, TextInput } from '@mantine/core';
import type { TraitValue } from '../api/tenants';

export type TraitType = 'string' | 'number' | 'boolean';
/** One trait as edited: its value kept as typed text until saved. */
export interface TraitRow {
  id: number;
  key: string;
  type: TraitType;
  text: string;
}

let nextId = 0;
export const traitRow = (key = '', value: TraitValue = ''): TraitRow => ({
  id: nextId++,
  key,
  type: typeof value === 'number' ? 'number' : typeof value === 'boolean' ? 'boolean' : 'string',
  text: String(value),
});

/** The typed value of a row, or a message saying why its text is not one. */
export function traitValue(row: TraitRow): { value: TraitValue } | { problem: string } {
  if (row.type === 'boolean') return { value: row.text === 'true' };
  if (row.type === 'number') {
    const number = Number(row.text);
    return row.text.trim() === '' || !Number.isFinite(number) ? { problem: 'Not a number' } : { value: number };
  }
  return { value: row.text };
}

/**
 * A tenant's traits as rows of name, type and value. Problems come from the API (`traits.<name>`,
 * or `traits` for the whole set) and from values that are not of their type.
 */
export function TraitEditor({ rows, onChange, errors }: { rows: TraitRow[]; onChange: (rows: TraitRow[]) => void; errors: Record<string, string | undefined> }) {
  const update = (id: number, change: Partial<TraitRow>) => onChange(rows.map((row) => (row.id === id ? { ...row, ...change } : row)));
  return (
    <Stack gap="xs" role="group" aria-labelledby="traits-heading">
      <Text fw={600} size="sm" id="traits-heading">
        Traits
      </Text>
      <Text size="xs" c="dimmed">
        Segment conditions and template rules read them as property <code>tenant.&lt;name&gt;</code>.
      </Text>
      {rows.map((row, index) => {
        const label = row.key.trim() || `trait ${index + 1}`;
        return (
          <Group key={row.id} align="flex-start" wrap="nowrap">
            <TextInput aria-label={`Name of trait ${index + 1}`} placeholder="plan" value={row.key} onChange={(event) => update(row.id, { key: event.currentTarget.value })} error={errors[`name:${row.id}`]} w={200} />
            <NativeSelect
              aria-label={`Type of ${label}`}
              value={row.type}
              data={['string', 'number', 'boolean']}
              onChange={(event) => {
                const type = event.currentTarget.value as TraitType;
                update(row.id, { type, text: type === 'boolean' ? (row.text === 'true' ? 'true' : 'false') : row.text });
              }}
              w={120}
            />
            {row.type === 'boolean' ? (
              <NativeSelect aria-label={`Value of ${label}`} value={row.text} data={['true', 'false']} onChange={(event) => update(row.id, { text: event.currentTarget.value })} error={errors[`value:${row.id}`]} w={260} />
            ) : (
              <TextInput
                aria-label={`Value of ${label}`}
                inputMode={row.type === 'number' ? 'decimal' : undefined}
                value={row.text}
                onChange={(event) => update(row.id, { text: event.currentTarget.value })}
                error={errors[`value:${row.id}`]}
                w={260}
              />
            )}
            <Button variant="subtle" color="red" onClick={() => onChange(rows.filter((other) => other.id !== row.id))} aria-label={`Remove ${label}`}>
              Remove
            </Button>
          </Group>
        );
      })}
      {errors.traits && (
        <Text size="sm" c="red.9" role="alert">
          {errors.traits}
        </Text>
      )}
      <Group>
        <Button variant="light" size="xs" onClick={() => onChange([...rows, traitRow()])}>
          Add trait
        </Button>
      </Group>
    </Stack>
  );
}
