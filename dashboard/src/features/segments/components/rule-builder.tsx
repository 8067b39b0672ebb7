import { Button, Checkbox, Group, Paper, Select, Stack, Text, TextInput } from '@mantine/core';
import { RE2JS } from 're2js';
import { useState } from 'react';
import { explainSegment, OPERATORS } from '../../../lib/engine';
import type { SegmentRule } from '../../../api/queries';
import classes from './rule-builder.module.css';

type Condition = NonNullable<SegmentRule['conditions']>[number];
type Operator = Condition['operator'];

export const OPERATOR_LABELS: Record<Operator, string> = {
  EQUAL: 'equals',
  NOT_EQUAL: 'does not equal',
  GREATER_THAN: 'is greater than',
  GREATER_THAN_INCLUSIVE: 'is at least',
  LESS_THAN: 'is less than',
  LESS_THAN_INCLUSIVE: 'is at most',
  CONTAINS: 'contains',
  NOT_CONTAINS: 'does not contain',
  REGEX: 'matches the regular expression',
  IN: 'is one of',
  MODULO: 'modulo (divisor|remainder)',
  PERCENTAGE_SPLIT: 'is in the percentage split',
  IS_SET: 'is set',
  IS_NOT_SET: 'is not set',
};
const RULE_LABELS: Record<SegmentRule['type'], string> = { ALL: 'all of these', ANY: 'any of these', NONE: 'none of these' };
const COMPARISONS: Operator[] = ['EQUAL', 'NOT_EQUAL', 'GREATER_THAN', 'GREATER_THAN_INCLUSIVE', 'LESS_THAN', 'LESS_THAN_INCLUSIVE'];
const NO_VALUE: Operator[] = ['IS_SET', 'IS_NOT_SET'];

export const emptyCondition = (): Condition => ({ operator: 'EQUAL', property: '', value: '' });
export const emptyRule = (type: SegmentRule['type'] = 'ALL'): SegmentRule => ({ type, conditions: [emptyCondition()], rules: [] });

const VALUE_HINTS: Partial<Record<Operator, string>> = {
  IN: 'Comma-separated: fr,de,it',
  MODULO: 'divisor|remainder, e.g. 2|0 for even numbers',
  PERCENTAGE_SPLIT: 'A percentage, 0-100: the first N% of identities (sticky)',
  REGEX: 'RE2 syntax (linear time), anchored at the start',
};

/** Whether a regular expression compiles under RE2 (what the engine runs), and why not. */
function regexProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (error) {
    return `RE2 cannot compile this pattern (it would match nothing): ${(error as Error).message}`;
  }
}

function RegexTest({ pattern }: { pattern: string }) {
  const [text, setText] = useState('');
  const problem = regexProblem(pattern);
  const matched =
    text !== '' &&
    explainSegment({
      segmentKey: 'test',
      rules: [{ type: 'ALL', conditions: [{ operator: 'REGEX', property: 'text', value: pattern }] }],
      identity: { identifier: 'test', traits: { text } },
      environment: { key: 'test', name: 'test' },
    }).matched;
  return (
    <Group gap="xs" align="flex-end">
      <TextInput label="Test the expression on" size="xs" value={text} onChange={(event) => setText(event.currentTarget.value)} w={220} />
      <Text size="xs" role="status" c={problem ? 'red.9' : matched ? 'teal.9' : undefined} mb={6}>
        {problem ?? (text === '' ? 'Type a value to test it' : matched ? 'matches' : 'does not match')}
      </Text>
    </Group>
  );
}

function ConditionEditor({ condition, label, path, errors, onChange, onRemove }: { condition: Condition; label: string; path: string; errors: Record<string, string>; onChange: (next: Condition) => void; onRemove: () => void }) {
  const raw = condition.value === null || condition.value === undefined ? '' : Array.isArray(condition.value) ? condition.value.join(',') : String(condition.value);
  const semver = raw.endsWith(':semver');
  const text = semver ? raw.slice(0, -':semver'.length) : raw;
  const setValue = (next: string, asSemver = semver) => onChange({ ...condition, value: asSemver ? `${next}:semver` : next });
  const needsProperty = condition.operator !== 'PERCENTAGE_SPLIT';
  return (
    <fieldset className={classes.condition}>
      <legend className="visually-hidden">{label}</legend>
      <Group align="flex-start" gap="xs" wrap="wrap">
        <TextInput
          label="Trait"
          description={needsProperty ? 'A trait key, or a path like $.identity.identifier' : 'Optional: split by this trait instead of the identity'}
          value={condition.property ?? ''}
          onChange={(event) => onChange({ ...condition, property: event.currentTarget.value })}
          error={errors[`${path}.property`]}
          w={200}
          size="xs"
        />
        <Select
          label="Operator"
          data={OPERATORS.map((operator) => ({ value: operator, label: OPERATOR_LABELS[operator] }))}
          value={condition.operator}
          onChange={(next) => next && onChange({ ...condition, operator: next as Operator, ...(NO_VALUE.includes(next as Operator) ? { value: null } : {}) })}
          allowDeselect={false}
          error={errors[`${path}.operator`]}
          w={230}
          size="xs"
        />
        {!NO_VALUE.includes(condition.operator) && (
          <Stack gap={4}>
            <TextInput label="Value" description={VALUE_HINTS[condition.operator]} value={text} onChange={(event) => setValue(event.currentTarget.value)} error={errors[`${path}.value`]} w={220} size="xs" />
            {COMPARISONS.includes(condition.operator) && <Checkbox size="xs" label="Compare as a version (semver)" checked={semver} onChange={(event) => setValue(text, event.currentTarget.checked)} />}
          </Stack>
        )}
        <Button size="compact-xs" variant="subtle" color="red" onClick={onRemove} mt={22} aria-label={`Remove ${label.toLowerCase()}`}>
          Remove
        </Button>
      </Group>
      {condition.operator === 'REGEX' && <RegexTest pattern={text} />}
    </fieldset>
  );
}

/** One rule: all / any / none of its conditions, and nested rules, recursively. */
export function RuleEditor({ rule, label, path, errors, onChange, onRemove, depth = 0 }: { rule: SegmentRule; label: string; path: string; errors: Record<string, string>; onChange: (next: SegmentRule) => void; onRemove?: () => void; depth?: number }) {
  const conditions = rule.conditions ?? [];
  const rules = rule.rules ?? [];
  return (
    <Paper withBorder p="sm" component="fieldset" className={classes.rule} data-depth={depth}>
      <legend className={classes.legend}>{label}</legend>
      <Stack gap="xs">
        <Group gap="xs">
          <Select
            aria-label={`${label}: match`}
            data={(['ALL', 'ANY', 'NONE'] as const).map((type) => ({ value: type, label: `Match ${RULE_LABELS[type]}` }))}
            value={rule.type}
            onChange={(next) => next && onChange({ ...rule, type: next as SegmentRule['type'] })}
            allowDeselect={false}
            size="xs"
            w={200}
          />
          {onRemove && (
            <Button size="compact-xs" variant="subtle" color="red" onClick={onRemove}>
              Remove {label.toLowerCase()}
            </Button>
          )}
        </Group>
        {errors[path] && (
          <Text size="xs" c="red.9" role="alert">
            {errors[path]}
          </Text>
        )}
        {conditions.map((condition, i) => (
          <ConditionEditor
            key={i}
            condition={condition}
            label={`${label}, condition ${i + 1}`}
            path={`${path}.conditions.${i}`}
            errors={errors}
            onChange={(next) => onChange({ ...rule, conditions: conditions.map((c, j) => (j === i ? next : c)) })}
            onRemove={() => onChange({ ...rule, conditions: conditions.filter((_, j) => j !== i) })}
          />
        ))}
        {rules.map((sub, i) => (
          <RuleEditor
            key={i}
            rule={sub}
            label={`${label}, nested rule ${i + 1}`}
            path={`${path}.rules.${i}`}
            errors={errors}
            depth={depth + 1}
            onChange={(next) => onChange({ ...rule, rules: rules.map((r, j) => (j === i ? next : r)) })}
            onRemove={() => onChange({ ...rule, rules: rules.filter((_, j) => j !== i) })}
          />
        ))}
        <Group gap="xs">
          <Button size="compact-xs" variant="light" onClick={() => onChange({ ...rule, conditions: [...conditions, emptyCondition()] })}>
            Add condition to {label.toLowerCase()}
          </Button>
          {depth < 3 && (
            <Button size="compact-xs" variant="light" onClick={() => onChange({ ...rule, rules: [...rules, emptyRule('ANY')] })}>
              Add nested rule to {label.toLowerCase()}
            </Button>
          )}
        </Group>
      </Stack>
    </Paper>
  );
}
