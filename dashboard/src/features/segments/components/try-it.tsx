import { Alert, Badge, List, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMemo, useState } from 'react';
import { explainSegment, type RuleExplanation } from '../../../lib/engine';
import type { Environment, SegmentRule } from '../../../api/queries';
import { OPERATOR_LABELS } from './rule-builder';

const RULE_WORDS = { ALL: 'all of', ANY: 'any of', NONE: 'none of' } as const;
const shown = (value: unknown) => (value === undefined ? 'not set' : JSON.stringify(value));

function RuleResult({ rule, label }: { rule: RuleExplanation; label: string }) {
  return (
    <List.Item>
      <Text size="sm" fw={500}>
        {label} ({RULE_WORDS[rule.type]}): {rule.matched ? 'matches' : 'does not match'}
      </Text>
      <List size="sm" withPadding listStyleType="none">
        {rule.conditions.map((condition, i) => (
          <List.Item key={i}>
            <Text size="sm" span c={condition.matched ? 'teal.9' : 'red.9'}>
              {condition.matched ? '✓' : '✗'} {condition.property || 'identity'} {OPERATOR_LABELS[condition.operator]} {condition.value === null ? '' : shown(condition.value)}
            </Text>{' '}
            {condition.property && (
              <Text size="xs" span c="dimmed">
                ({condition.actual === undefined ? 'not set' : `has ${shown(condition.actual)}`})
              </Text>
            )}{' '}
            {condition.decisive && (
              <Badge size="xs" color="indigo" variant="light">
                decided
              </Badge>
            )}
          </List.Item>
        ))}
        {rule.rules.map((sub, i) => (
          <RuleResult key={i} rule={sub} label={`${label}, nested rule ${i + 1}`} />
        ))}
      </List>
    </List.Item>
  );
}

/**
 * Paste traits, see whether they match and which condition decided: the engine's own matchers
 * run here in the browser, so the answer is the one SDKs get.
 */
export function TryIt({ rules, segmentKey, environment }: { rules: SegmentRule[]; segmentKey: string | undefined; environment: Environment | undefined }) {
  const [identifier, setIdentifier] = useState('user-1');
  const [traitsText, setTraitsText] = useState('{\n  "plan": "pro"\n}');
  const result = useMemo(() => {
    let traits: unknown;
    try {
      traits = JSON.parse(traitsText || '{}');
    } catch (error) {
      return { error: `Not valid JSON: ${(error as Error).message}` };
    }
    if (typeof traits !== 'object' || traits === null || Array.isArray(traits)) return { error: 'Traits are a JSON object: {"plan": "pro"}' };
    try {
      return {
        explanation: explainSegment({
          segmentKey: segmentKey ?? 'unsaved',
          rules,
          identity: { identifier: identifier || 'anonymous', traits: traits as Record<string, string | number | boolean | null> },
          environment: { key: environment?.hashKey ?? '', name: environment?.name ?? '' },
        }),
      };
    } catch (error) {
      return { error: (error as Error).message };
    }
  }, [rules, segmentKey, environment, identifier, traitsText]);

  return (
    <Paper withBorder p="md" component="section" aria-labelledby="try-heading">
      <Stack>
        <Title order={2} size="h4" id="try-heading">
          Try it
        </Title>
        <TextInput label="Identifier" value={identifier} onChange={(event) => setIdentifier(event.currentTarget.value)} size="sm" />
        <Textarea label="Traits (JSON)" value={traitsText} onChange={(event) => setTraitsText(event.currentTarget.value)} autosize minRows={3} error={result.error} spellCheck={false} />
        {!segmentKey && (
          <Text size="xs" c="dimmed">
            Percentage splits bucket by the segment's key: their result here is final once the segment is saved.
          </Text>
        )}
        {result.explanation && (
          <div role="status" aria-live="polite">
            <Alert color={result.explanation.matched ? 'green' : 'gray'} variant="light" title={result.explanation.matched ? 'Matches this segment' : 'Does not match this segment'}>
              {rules.length === 0 ? 'A segment without rules matches no one.' : null}
            </Alert>
            <List listStyleType="none" mt="xs" aria-label="Why">
              {result.explanation.rules.map((rule, i) => (
                <RuleResult key={i} rule={rule} label={`Rule ${i + 1}`} />
              ))}
            </List>
          </div>
        )}
      </Stack>
    </Paper>
  );
}
