import { Box, Text } from '@mantine/core';
import { diffLines } from 'diff';
import classes from './json-diff.module.css';

const pretty = (value: unknown) => (value === undefined ? '' : `${JSON.stringify(value, null, 2)}\n`);

/**
 * A line diff of two JSON values (before → after), as a list people and screen readers can
 * follow: each changed line says whether it was removed or added.
 */
export function JsonDiff({ before, after, label }: { before: unknown; after: unknown; label: string }) {
  const parts = diffLines(pretty(before), pretty(after));
  if (parts.every((part) => !part.added && !part.removed))
    return (
      <Text size="sm" c="dimmed">
        No difference.
      </Text>
    );
  return (
    <Box component="pre" className={classes.diff} role="figure" aria-label={label}>
      {parts.flatMap((part, i) =>
        part.value
          .replace(/\n$/, '')
          .split('\n')
          .map((line, j) => (
            <span key={`${i}-${j}`} className={part.added ? classes.added : part.removed ? classes.removed : classes.same}>
              <span className={classes.sign} aria-label={part.added ? 'added' : part.removed ? 'removed' : undefined}>
                {part.added ? '+' : part.removed ? '−' : ' '}
              </span>
              {line}
              {'\n'}
            </span>
          )),
      )}
    </Box>
  );
}
