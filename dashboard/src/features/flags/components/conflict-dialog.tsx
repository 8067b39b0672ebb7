import { Button, Group, Modal, Stack, Table, Text } from '@mantine/core';
import type { FeatureState } from '../../../api/queries';
import { Time } from '../../../components/time';
import { ValueView } from '../../../components/value-view';

export interface Conflict {
  featureName: string;
  environmentName: string;
  /** What the person tried to write. */
  mine: { enabled?: boolean; value?: unknown };
  /** What is there now, written by someone else meanwhile. */
  theirs: FeatureState;
}

/**
 * Someone changed the flag since this page loaded: show their change next to yours and ask,
 * rather than overwrite it silently or fail without saying why.
 */
export function ConflictDialog({ conflict, onApplyMine, onKeepTheirs, applying }: { conflict: Conflict | undefined; onApplyMine: () => void; onKeepTheirs: () => void; applying?: boolean }) {
  return (
    <Modal opened={conflict !== undefined} onClose={onKeepTheirs} title={conflict ? `${conflict.featureName} changed in ${conflict.environmentName} meanwhile` : ''} size="lg">
      {conflict && (
        <Stack>
          <Text size="sm">
            Someone saved version {conflict.theirs.version} <Time iso={conflict.theirs.updatedAt} /> while you were looking. Compare, then choose.
          </Text>
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col"> </Table.Th>
                <Table.Th scope="col">Their change (now live)</Table.Th>
                <Table.Th scope="col">Your change</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              <Table.Tr>
                <Table.Th scope="row">Enabled</Table.Th>
                <Table.Td>{conflict.theirs.enabled ? 'on' : 'off'}</Table.Td>
                <Table.Td>{conflict.mine.enabled === undefined ? 'unchanged' : conflict.mine.enabled ? 'on' : 'off'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">Value</Table.Th>
                <Table.Td>
                  <ValueView value={conflict.theirs.value} />
                </Table.Td>
                <Table.Td>{'value' in conflict.mine ? <ValueView value={conflict.mine.value} /> : 'unchanged'}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          <Group justify="flex-end">
            <Button variant="default" onClick={onKeepTheirs}>
              Keep theirs
            </Button>
            <Button onClick={onApplyMine} loading={applying}>
              Apply mine over theirs
            </Button>
          </Group>
        </Stack>
      )}
    </Modal>
  );
}
