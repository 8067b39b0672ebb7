import { Alert, Anchor, Button, Group, Modal, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { type ChangeInput, useCreateChangeRequest } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { paths, type Scope } from '../../../lib/scope';

export interface Proposal {
  envId: string;
  environmentName: string;
  requiredApprovals: number;
  title: string;
  changes: ChangeInput[];
  summary: string;
}

/**
 * In a governed environment a change is proposed, not written: this opens a change request
 * with the change in it, for someone else to approve.
 */
export function ProposeDialog({ proposal, scope, onClose }: { proposal: Proposal | undefined; scope: Scope; onClose: () => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const create = useCreateChangeRequest(proposal?.envId ?? scope.envId);
  useEffect(() => {
    setTitle(proposal?.title ?? '');
    setDescription('');
    create.reset();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [proposal]);
  const fieldErrors = create.error && 'fieldErrors' in create.error ? (create.error as { fieldErrors(): Record<string, string> }).fieldErrors() : {};

  return (
    <Modal opened={proposal !== undefined} onClose={onClose} title="Open a change request" size="lg">
      {proposal && (
        <Stack>
          <Alert color="indigo" variant="light">
            {proposal.environmentName} requires {proposal.requiredApprovals} approval{proposal.requiredApprovals === 1 ? '' : 's'}: this change is proposed as a change request, and applies once approved.
          </Alert>
          <Text size="sm">{proposal.summary}</Text>
          {create.data ? (
            <Alert color="green" variant="light" title="Change request opened">
              <Anchor component={Link} to={paths.changeRequest({ ...scope, envId: create.data.envId }, create.data.id)} onClick={onClose}>
                Open “{create.data.title}”
              </Anchor>
            </Alert>
          ) : (
            <form
              onSubmit={(event) => {
                event.preventDefault();
                create.mutate({ title, description, changes: proposal.changes });
              }}
            >
              <Stack>
                <TextInput label="Title" value={title} onChange={(event) => setTitle(event.currentTarget.value)} error={fieldErrors.title} required />
                <Textarea label="Why" value={description} onChange={(event) => setDescription(event.currentTarget.value)} error={fieldErrors.description} autosize minRows={2} />
                {create.error && <ErrorAlert error={create.error} />}
                <Group justify="flex-end">
                  <Button variant="default" onClick={onClose}>
                    Cancel
                  </Button>
                  <Button type="submit" loading={create.isPending}>
                    Open change request
                  </Button>
                </Group>
              </Stack>
            </form>
          )}
        </Stack>
      )}
    </Modal>
  );
}
