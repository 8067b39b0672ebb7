import { Button, Group, Modal, Stack } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ApiError } from '../../../api/client';
import { ErrorAlert } from '../../../components/error-alert';
import { type Member, peopleKeys, type Roles, updateMember } from '../api/members';
import { compactRoles, type Place, RolesFields } from './roles';

/** "Change roles of …": the member's roles in a dialog named for them, replaced on save (their next request has them). */
export function MemberRolesButton({ orgId, member, places }: { orgId: string; member: Member; places: { projects: Place[]; environments: Place[] } }) {
  const person = member.name || member.email;
  const client = useQueryClient();
  const [roles, setRoles] = useState<Roles | undefined>();
  const save = useMutation({
    mutationFn: (next: Roles) => updateMember(orgId, member.userId, { roles: compactRoles(next), version: member.version }),
    onSuccess: () => setRoles(undefined),
    onSettled: () => client.invalidateQueries({ queryKey: peopleKeys.members(orgId) }),
  });
  const rolesError = save.error instanceof ApiError ? save.error.fieldErrors().roles : undefined;
  return (
    <>
      <Button
        size="compact-xs"
        variant="light"
        aria-label={`Change roles of ${person}`}
        onClick={() => {
          save.reset();
          setRoles(member.roles);
        }}
      >
        Change roles
      </Button>
      <Modal opened={roles !== undefined} onClose={() => setRoles(undefined)} title={`Roles of ${person}`} size="lg">
        {roles && (
          <form
            noValidate
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate(roles);
            }}
          >
            <Stack>
              <RolesFields whom={person} value={roles} onChange={setRoles} places={places} error={rolesError} />
              {save.error && !rolesError && <ErrorAlert error={save.error} />}
              <Group justify="flex-end">
                <Button variant="default" onClick={() => setRoles(undefined)}>
                  Cancel
                </Button>
                <Button type="submit" loading={save.isPending}>
                  Save roles of {person}
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
