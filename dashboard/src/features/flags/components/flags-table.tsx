import { Anchor, Badge, Group, Switch, Table, Text, VisuallyHidden } from '@mantine/core';
import { memo } from 'react';
import { Link } from 'react-router';
import type { Environment, Feature, FeatureState } from '../../../api/queries';
import { ValueView } from '../../../components/value-view';
import classes from './flags-table.module.css';

export interface FlagRow {
  feature: Feature;
  /** The state per environment, in the order of the columns (undefined while loading). */
  states: (FeatureState | undefined)[];
  overrides: number;
  stale: boolean;
}

export type ToggleHandler = (feature: Feature, environment: Environment, state: FeatureState, enabled: boolean) => void;

const governed = (environment: Environment) => (environment.requiredApprovals ?? 0) > 0;
const governedNoteId = (environment: Environment) => `governed-${environment.id}`;

interface RowProps {
  row: FlagRow;
  environments: Environment[];
  current: number;
  href: string;
  onToggle: ToggleHandler;
}

/**
 * Rows are rebuilt whenever any state changes; a row re-renders only when its own feature,
 * states, badges or links did (the query cache keeps unchanged states identical), so a toggle
 * in a 1,000-flag project renders one row, not all of them.
 */
const sameRow = (before: RowProps, after: RowProps) =>
  before.row.feature === after.row.feature &&
  before.row.overrides === after.row.overrides &&
  before.row.stale === after.row.stale &&
  before.row.states.length === after.row.states.length &&
  before.row.states.every((state, i) => state === after.row.states[i]) &&
  before.environments === after.environments &&
  before.current === after.current &&
  before.href === after.href &&
  before.onToggle === after.onToggle;

const Row = memo(function Row({ row, environments, current, href, onToggle }: RowProps) {
  const { feature } = row;
  const state = row.states[current];
  return (
    <Table.Tr>
      <Table.Th scope="row" className={classes.name}>
        <Anchor component={Link} to={href} fw={600} size="sm">
          {feature.name}
        </Anchor>
        {feature.description && (
          <Text size="xs" c="dimmed" lineClamp={1}>
            {feature.description}
          </Text>
        )}
        {(feature.tags.length > 0 || row.stale || row.overrides > 0) && (
          <Group gap={4} mt={2}>
            {feature.tags.map((tag) => (
              <Badge key={tag} size="xs" variant="light" color="gray">
                {tag}
              </Badge>
            ))}
            {row.stale && (
              <Badge size="xs" variant="light" color="orange">
                stale
              </Badge>
            )}
            {row.overrides > 0 && (
              <Badge size="xs" variant="light" color="grape">
                {row.overrides} override{row.overrides === 1 ? '' : 's'}
              </Badge>
            )}
          </Group>
        )}
      </Table.Th>
      {environments.map((environment, i) => {
        const envState = row.states[i];
        return (
          <Table.Td key={environment.id} className={classes.toggle}>
            {envState && (
              <Switch
                checked={envState.enabled}
                onChange={(event) => onToggle(feature, environment, envState, event.currentTarget.checked)}
                aria-label={`${feature.name} in ${environment.name}`}
                aria-describedby={governed(environment) ? governedNoteId(environment) : undefined}
              />
            )}
          </Table.Td>
        );
      })}
      <Table.Td className={classes.value}>{state && <ValueView value={state.value} max={40} />}</Table.Td>
    </Table.Tr>
  );
}, sameRow);

/** One row per feature, its state in every environment side by side. */
export function FlagsTable({ rows, environments, current, hrefOf, onToggle }: { rows: FlagRow[]; environments: Environment[]; current: number; hrefOf: (feature: Feature) => string; onToggle: ToggleHandler }) {
  return (
    <Table.ScrollContainer minWidth={600}>
      <Table striped highlightOnHover verticalSpacing={6} aria-label="Flags">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Flag</Table.Th>
            {environments.map((environment) => (
              <Table.Th scope="col" key={environment.id}>
                {environment.name}
                {governed(environment) && (
                  <Text size="xs" c="dimmed" id={governedNoteId(environment)}>
                    needs {environment.requiredApprovals} approval{environment.requiredApprovals === 1 ? '' : 's'}
                    <VisuallyHidden>: changing a flag here opens a change request</VisuallyHidden>
                  </Text>
                )}
              </Table.Th>
            ))}
            <Table.Th scope="col">Value in {environments[current]?.name ?? 'this environment'}</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Row key={row.feature.id} row={row} environments={environments} current={current} href={hrefOf(row.feature)} onToggle={onToggle} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
