import { Table, Text, VisuallyHidden } from '@mantine/core';
import { useWindowVirtualizer } from '@tanstack/react-virtual';
import { memo, useLayoutEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import type { MatrixEnvironment as Environment, MatrixFeature as Feature, MatrixState as FeatureState } from '../../../api/queries';
import { ValueView } from '../../../components/value-view';
import classes from './flags-table.module.css';

export interface FlagRow {
  feature: Feature;
  /** The state per environment, in the order of the columns. */
  states: (FeatureState | undefined)[];
  overrides: number;
  stale: boolean;
}

export type ToggleHandler = (feature: Feature, environment: Environment, state: FeatureState, enabled: boolean) => void;

const governed = (environment: Environment) => (environment.requiredApprovals ?? 0) > 0;
const governedNoteId = (environment: Environment) => `governed-${environment.id}`;
const readOnlyNoteId = (environment: Environment) => `read-only-${environment.id}`;
/** What a switch's description says about its environment: read only, or changed through a change request. */
const noteOf = (environment: Environment) => (!environment.writable ? readOnlyNoteId(environment) : governed(environment) ? governedNoteId(environment) : undefined);

interface RowProps {
  row: FlagRow;
  /** Its place in the filtered list (0-based): where the virtualiser measures it, and its stripe. */
  index: number;
  measure: (element: HTMLTableRowElement | null) => void;
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
  before.index === after.index &&
  before.measure === after.measure &&
  before.row.overrides === after.row.overrides &&
  before.row.stale === after.row.stale &&
  before.row.states.length === after.row.states.length &&
  before.row.states.every((state, i) => state === after.row.states[i]) &&
  before.environments === after.environments &&
  before.current === after.current &&
  before.href === after.href &&
  before.onToggle === after.onToggle;

/**
 * A row is plain elements styled by flags-table.module.css, not Mantine components: the first
 * screen of a 1,000-flag project draws a few dozen rows of three switches and badges each, and
 * Mantine's per-component theme and style resolution was most of its rendering time. The switch
 * is a native checkbox with role="switch" (as Mantine's is): Space toggles it, and its accessible
 * name names the feature and the environment.
 */
const Row = memo(function Row({ row, index, measure, environments, current, href, onToggle }: RowProps) {
  const { feature } = row;
  const state = row.states[current];
  return (
    // aria-rowindex: a screen reader says "row 412 of 1001" although only the rows near the
    // window are drawn (the header row is row 1).
    <Table.Tr ref={measure} data-index={index} aria-rowindex={index + 2} className={index % 2 === 1 ? classes.odd : undefined}>
      <Table.Th scope="row" className={classes.name}>
        <Link to={href} className={classes.link}>
          {feature.name}
        </Link>
        {feature.description && <div className={classes.description}>{feature.description}</div>}
        {(feature.tags.length > 0 || row.stale || row.overrides > 0) && (
          <div className={classes.badges}>
            {feature.tags.map((tag) => (
              <span key={tag} className={`${classes.badge} ${classes.gray}`}>
                {tag}
              </span>
            ))}
            {row.stale && <span className={`${classes.badge} ${classes.orange}`}>stale</span>}
            {row.overrides > 0 && (
              <span className={`${classes.badge} ${classes.grape}`}>
                {row.overrides} override{row.overrides === 1 ? '' : 's'}
              </span>
            )}
          </div>
        )}
      </Table.Th>
      {environments.map((environment, i) => {
        const envState = row.states[i];
        return (
          <Table.Td key={environment.id} className={classes.toggle}>
            {envState && (
              <input
                type="checkbox"
                role="switch"
                className={classes.switch}
                checked={envState.enabled}
                onChange={(event) => onToggle(feature, environment, envState, event.currentTarget.checked)}
                // The caller's role here only reads: shown as it is, never offered as a change the API would refuse.
                disabled={!environment.writable}
                aria-label={`${feature.name} in ${environment.name}`}
                aria-describedby={noteOf(environment)}
              />
            )}
          </Table.Td>
        );
      })}
      <Table.Td className={classes.value}>{state && <ValueView value={state.value} max={40} />}</Table.Td>
    </Table.Tr>
  );
}, sameRow);

/** A first guess at a row's height (px) before it is measured: a name and a line of badges. */
const ESTIMATED_ROW_HEIGHT = 52;
/**
 * Rows drawn beyond each edge of the window. Tab from the last drawn switch moves focus to a row
 * in this margin, the browser scrolls it into view, and the rows after it are drawn: the whole
 * table stays reachable by keyboard.
 */
const OVERSCAN = 12;

/**
 * One row per feature, its state in every environment side by side. Only the rows near the
 * window are in the page (a 1,000-flag project would otherwise mount thousands of switches);
 * spacer rows keep the scroll height of the whole table, so the page scrolls as if every row
 * were there, and the table's aria-rowcount says how many there are.
 */
export function FlagsTable({ rows, environments, current, hrefOf, onToggle }: { rows: FlagRow[]; environments: Environment[]; current: number; hrefOf: (feature: Feature) => string; onToggle: ToggleHandler }) {
  const body = useRef<HTMLTableSectionElement>(null);
  // Where the rows start in the page: the virtualiser counts the window's scroll from there.
  const [scrollMargin, setScrollMargin] = useState(0);
  useLayoutEffect(() => {
    const measure = () => {
      const top = body.current ? body.current.getBoundingClientRect().top + window.scrollY : 0;
      setScrollMargin((before) => (Math.abs(before - top) < 1 ? before : top));
    };
    measure();
    window.addEventListener('resize', measure);
    return () => window.removeEventListener('resize', measure);
  });
  const virtualizer = useWindowVirtualizer({
    count: rows.length,
    estimateSize: () => ESTIMATED_ROW_HEIGHT,
    overscan: OVERSCAN,
    scrollMargin,
    getItemKey: (index) => rows[index]?.feature.id ?? index,
  });
  const drawn = virtualizer.getVirtualItems();
  const first = drawn[0];
  const last = drawn.at(-1);
  const above = first ? first.start - scrollMargin : 0;
  const below = last ? virtualizer.getTotalSize() - (last.end - scrollMargin) : 0;
  const columns = environments.length + 2;

  return (
    <Table.ScrollContainer minWidth={600}>
      <Table highlightOnHover verticalSpacing={6} aria-label="Flags" aria-rowcount={rows.length + 1}>
        <Table.Thead>
          <Table.Tr aria-rowindex={1}>
            <Table.Th scope="col">Flag</Table.Th>
            {environments.map((environment) => (
              <Table.Th scope="col" key={environment.id}>
                {environment.name}
                {!environment.writable ? (
                  <Text size="xs" c="dimmed" id={readOnlyNoteId(environment)}>
                    read only
                    <VisuallyHidden>: your role in {environment.name} lets you see flags, not change them</VisuallyHidden>
                  </Text>
                ) : governed(environment) && (
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
        <Table.Tbody ref={body}>
          {above > 0 && <Spacer height={above} columns={columns} />}
          {drawn.map((item) => {
            const row = rows[item.index] as FlagRow;
            return (
              <Row
                key={item.key}
                row={row}
                index={item.index}
                measure={virtualizer.measureElement}
                environments={environments}
                current={current}
                href={hrefOf(row.feature)}
                onToggle={onToggle}
              />
            );
          })}
          {below > 0 && <Spacer height={below} columns={columns} />}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The height of the rows not drawn, so the page keeps the scroll height of the whole table. */
function Spacer({ height, columns }: { height: number; columns: number }) {
  return (
    <tr aria-hidden="true" className={classes.spacer}>
      <td colSpan={columns} style={{ height }} />
    </tr>
  );
}
