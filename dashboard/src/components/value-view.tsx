import { Code, Text } from '@mantine/core';

/** A flag value as people read it: strings quoted only when they could be mistaken. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value === '' ? '""' : value;
  return JSON.stringify(value);
}

export function ValueView({ value, max = 60 }: { value: unknown; max?: number }) {
  if (value === null || value === undefined)
    return (
      <Text span c="dimmed" size="sm">
        no value
      </Text>
    );
  const text = formatValue(value);
  return <Code title={text.length > max ? text : undefined}>{text.length > max ? `${text.slice(0, max)}…` : text}</Code>;
}
