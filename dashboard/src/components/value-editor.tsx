import { Choice } from './choice';
import { Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useId } from 'react';

export type ValueType = 'string' | 'number' | 'boolean' | 'json';

/** A value being edited, as text: what the person typed, valid or not. */
export function toDraft(valueType: ValueType, value: unknown): string {
  if (value === null || value === undefined) return valueType === 'boolean' ? 'false' : '';
  if (valueType === 'json') return JSON.stringify(value, null, 2);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** The value a draft stands for, or why it is not one (shown next to the field). */
export function parseDraft(valueType: ValueType, text: string): Parsed {
  switch (valueType) {
    case 'string':
      // An empty field is "no value" (null), as a new flag starts.
      return { ok: true, value: text === '' ? null : text };
    case 'boolean':
      return { ok: true, value: text === 'true' };
    case 'number': {
      if (text.trim() === '') return { ok: true, value: null };
      const number = Number(text);
      return Number.isFinite(number) ? { ok: true, value: number } : { ok: false, message: 'Enter a number, such as 10 or 2.5' };
    }
    case 'json': {
      if (text.trim() === '') return { ok: true, value: null };
      try {
        return { ok: true, value: JSON.parse(text) };
      } catch (error) {
        return { ok: false, message: `Not valid JSON: ${(error as Error).message}` };
      }
    }
  }
}

/** A typed value field: text, number, true / false, or JSON checked as you type. */
export function ValueEditor({
  valueType,
  draft,
  onChange,
  error,
  label = 'Value',
  disabled,
}: {
  valueType: ValueType;
  draft: string;
  onChange: (draft: string) => void;
  error?: string | undefined;
  label?: string;
  disabled?: boolean;
}) {
  const id = useId();
  if (valueType === 'boolean') {
    return (
      <Stack gap={4}>
        <Text component="label" id={id} size="sm" fw={500}>
          {label}
        </Text>
        <Choice
          labelledBy={id}
          value={draft === 'true' ? 'true' : 'false'}
          onChange={onChange}
          disabled={disabled}
          data={[
            { label: 'true', value: 'true' },
            { label: 'false', value: 'false' },
          ]}
        />
        {error && (
          <Text c="red" size="xs" role="alert">
            {error}
          </Text>
        )}
      </Stack>
    );
  }
  if (valueType === 'json' || (valueType === 'string' && draft.includes('\n'))) {
    return (
      <Textarea
        label={label}
        description={valueType === 'json' ? 'JSON: an object, array, string, number, true, false or null' : undefined}
        value={draft}
        onChange={(event) => onChange(event.currentTarget.value)}
        error={error}
        autosize
        minRows={valueType === 'json' ? 4 : 2}
        maxRows={16}
        disabled={disabled}
        spellCheck={false}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)' } }}
      />
    );
  }
  return (
    <TextInput
      label={label}
      description={valueType === 'number' ? 'A number (empty: no value)' : 'Text (empty: no value)'}
      inputMode={valueType === 'number' ? 'decimal' : undefined}
      value={draft}
      onChange={(event) => onChange(event.currentTarget.value)}
      error={error}
      disabled={disabled}
    />
  );
}
