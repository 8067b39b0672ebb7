import { Button, Group, NativeSelect, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { ApiError } from '../../../api/client';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { useScope } from '../../../lib/scope';
import { meQuery } from '../../auth/api/me';
import { createInvitation, deleteGroupRule, groupRulesQuery, invitationsQuery, membersQuery, peopleKeys, putGroupRule, removeMember, revokeInvitation, type Roles } from '../api/members';
import { MemberRolesButton } from '../components/member-roles-dialog';
import { describeRoles, type Place, RolesFields, usePlaces } from '../components/roles';

type Places = { projects: Place[]; environments: Place[] };

function Section({ id, title, intro, children }: { id: string; title: string; intro: ReactNode; children: ReactNode }) {
  return (
    <Paper withBorder p="md" component="section" aria-labelledby={id}>
      <Stack>
        <Title order={2} size="h4" id={id}>
          {title}
        </Title>
        <Text size="sm">{intro}</Text>
        {children}
      </Stack>
    </Paper>
  );
}

/** A list as a table: named, with its column headings, and a sentence when it is empty. */
function ListTable({ label, columns, empty, rows }: { label: string; columns: string[]; empty: string; rows: ReactNode[] | undefined }) {
  return (
    <Table striped aria-label={label}>
      <Table.Thead>
        <Table.Tr>
          {columns.map((column) => (
            <Table.Th scope="col" key={column}>
              {column}
            </Table.Th>
          ))}
          <Table.Th scope="col">
            <span className="visually-hidden">Actions</span>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows?.length === 0 ? (
          <Table.Tr>
            <Table.Td colSpan={columns.length + 1}>{empty}</Table.Td>
          </Table.Tr>
        ) : (
          rows
        )}
      </Table.Tbody>
    </Table>
  );
}

/** The organisation's people (organisation admins only): members and their roles, invitations, directory-group rules. */
export default function MembersRoute() {
  const { orgId } = useScope();
  const members = useQuery(membersQuery(orgId));
  const places = usePlaces(orgId);
  const refused = members.error instanceof ApiError && (members.error.status === 403 || members.error.status === 404);
  // The sections wait for the members list: whoever may not read it may not read invitations or
  // group rules either, and the page says so once rather than once per section.
  return (
    <Page title="Members" description={<Text size="sm" c="dimmed">Who may sign in to this organisation, and with which roles. Changes take effect on each person's next request.</Text>}>
      {members.error ? <ErrorAlert error={members.error} /> : null}
      {members.isPending && <Loading label="Loading the members" />}
      {!members.isPending && !refused && (
        <>
          <MembersSection orgId={orgId} places={places} />
          <InvitationsSection orgId={orgId} places={places} />
          <GroupRulesSection orgId={orgId} places={places} />
        </>
      )}
    </Page>
  );
}

function MembersSection({ orgId, places }: { orgId: string; places: Places }) {
  const client = useQueryClient();
  const members = useQuery(membersQuery(orgId));
  const me = useQuery(meQuery()).data;
  const remove = useMutation({ mutationFn: (userId: string) => removeMember(orgId, userId), onSettled: () => client.invalidateQueries({ queryKey: peopleKeys.members(orgId) }) });
  return (
    <Section id="members-heading" title="People" intro="Removing someone refuses their next request; their sign-in at the identity provider is not affected.">
      {remove.error && <ErrorAlert error={remove.error} />}
      <ListTable
        label="Members"
        columns={['Name', 'Email', 'Roles']}
        empty="No one yet: invite people below, or let a group rule admit them."
        rows={members.data?.map((member) => {
          const person = member.name || member.email;
          const self = me?.type === 'user' && me.id === member.userId;
          return (
            <Table.Tr key={member.userId}>
              <Table.Td>{member.name}</Table.Td>
              <Table.Td>{member.email}</Table.Td>
              <Table.Td>{describeRoles(member.roles, places)}</Table.Td>
              <Table.Td>
                {self ? (
                  <Text size="xs" c="dimmed">
                    You (another admin changes your roles)
                  </Text>
                ) : (
                  <Group gap="xs" wrap="nowrap">
                    <MemberRolesButton orgId={orgId} member={member} places={places} />
                    <ConfirmButton
                      size="compact-xs"
                      variant="subtle"
                      color="red"
                      aria-label={`Remove ${person}`}
                      title={`Remove ${person} from the organisation?`}
                      message={`${member.email} is refused from their next request on. Invite them again to give access back.`}
                      confirmLabel={`Remove ${person}`}
                      onConfirm={() => remove.mutate(member.userId)}
                      loading={remove.isPending && remove.variables === member.userId}
                    >
                      Remove
                    </ConfirmButton>
                  </Group>
                )}
              </Table.Td>
            </Table.Tr>
          );
        })}
      />
    </Section>
  );
}

const EXPIRY_DAYS = ['1', '3', '7', '14', '30'];

function InvitationsSection({ orgId, places }: { orgId: string; places: Places }) {
  const client = useQueryClient();
  const invitations = useQuery(invitationsQuery(orgId));
  const refresh = () => client.invalidateQueries({ queryKey: peopleKeys.invitations(orgId) });
  const revoke = useMutation({ mutationFn: (id: string) => revokeInvitation(orgId, id), onSettled: refresh });
  const [email, setEmail] = useState('');
  const [roles, setRoles] = useState<Roles>({});
  const [days, setDays] = useState('7');
  const invite = useMutation({ mutationFn: () => createInvitation(orgId, { email, roles, expiresInDays: Number(days) }), onSettled: refresh });
  const fields = invite.error instanceof ApiError ? invite.error.fieldErrors() : {};
  const named = fields.email ?? fields.roles ?? fields.expiresInDays;
  return (
    <Section
      id="invitations-heading"
      title="Invitations"
      intro="A person invited by email joins with these roles when they first sign in with that (verified) address, before the invitation expires. Inviting an address again replaces its invitation."
    >
      {(invitations.error ?? revoke.error) && <ErrorAlert error={invitations.error ?? revoke.error} />}
      <ListTable
        label="Pending invitations"
        columns={['Email', 'Roles', 'Expires']}
        empty="No pending invitations."
        rows={invitations.data?.map((invitation) => (
          <Table.Tr key={invitation.id}>
            <Table.Td>{invitation.email}</Table.Td>
            <Table.Td>{describeRoles(invitation.roles, places)}</Table.Td>
            <Table.Td>
              <Time iso={invitation.expires} />
            </Table.Td>
            <Table.Td>
              <ConfirmButton
                size="compact-xs"
                variant="subtle"
                aria-label={`Revoke the invitation of ${invitation.email}`}
                title={`Revoke the invitation of ${invitation.email}?`}
                message="Signing in with this address no longer admits them."
                confirmLabel="Revoke invitation"
                onConfirm={() => revoke.mutate(invitation.id)}
              >
                Revoke
              </ConfirmButton>
            </Table.Td>
          </Table.Tr>
        ))}
      />
      <form
        aria-label="Invite someone"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          invite.mutate(undefined, {
            onSuccess: () => {
              setEmail('');
              setRoles({});
            },
          });
        }}
      >
        <Stack>
          <Group align="flex-start">
            <TextInput label="Email" type="email" autoComplete="off" value={email} onChange={(event) => setEmail(event.currentTarget.value)} error={fields.email} w={320} />
            <NativeSelect label="Expires after" data={EXPIRY_DAYS.map((value) => ({ value, label: `${value} day${value === '1' ? '' : 's'}` }))} value={days} onChange={(event) => setDays(event.currentTarget.value)} error={fields.expiresInDays} />
          </Group>
          <RolesFields whom="the invitation" value={roles} onChange={setRoles} places={places} error={fields.roles} />
          {invite.error && !named && <ErrorAlert error={invite.error} />}
          <Group>
            <Button type="submit" loading={invite.isPending}>
              Invite
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}

function GroupRulesSection({ orgId, places }: { orgId: string; places: Places }) {
  const client = useQueryClient();
  const rules = useQuery(groupRulesQuery(orgId));
  const refresh = () => client.invalidateQueries({ queryKey: peopleKeys.groupRules(orgId) });
  const remove = useMutation({ mutationFn: (ruleId: string) => deleteGroupRule(orgId, ruleId), onSettled: refresh });
  const [group, setGroup] = useState('');
  const [roles, setRoles] = useState<Roles>({});
  const save = useMutation({ mutationFn: () => putGroupRule(orgId, { group, roles }), onSettled: refresh });
  const fields = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const named = fields.group ?? fields.roles;
  return (
    <Section
      id="group-rules-heading"
      title="Directory group rules"
      intro="Everyone whose sign-in token lists the group (its groups claim) holds these roles, for as long as the identity provider says they are in it."
    >
      {(rules.error ?? remove.error) && <ErrorAlert error={rules.error ?? remove.error} />}
      <ListTable
        label="Group rules"
        columns={['Group', 'Roles']}
        empty="No group rules."
        rows={rules.data?.map((rule) => (
          <Table.Tr key={rule.id}>
            <Table.Td>{rule.group}</Table.Td>
            <Table.Td>{describeRoles(rule.roles, places)}</Table.Td>
            <Table.Td>
              <Group gap="xs" wrap="nowrap">
                <Button
                  size="compact-xs"
                  variant="light"
                  aria-label={`Change roles of group ${rule.group}`}
                  onClick={() => {
                    save.reset();
                    setGroup(rule.group);
                    setRoles(rule.roles);
                  }}
                >
                  Change roles
                </Button>
                <ConfirmButton
                  size="compact-xs"
                  variant="subtle"
                  aria-label={`Remove the rule for group ${rule.group}`}
                  title={`Remove the rule for group ${rule.group}?`}
                  message="Its members lose the roles it gave from their next request on (roles they hold otherwise stay)."
                  confirmLabel="Remove rule"
                  onConfirm={() => remove.mutate(rule.id)}
                >
                  Remove
                </ConfirmButton>
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      />
      <form
        aria-label="Set a group rule"
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(undefined, {
            onSuccess: () => {
              setGroup('');
              setRoles({});
            },
          });
        }}
      >
        <Stack>
          <TextInput label="Group" description="As the identity provider names it in the groups claim (a name, or an id such as Entra ID's)" value={group} onChange={(event) => setGroup(event.currentTarget.value)} error={fields.group} w={420} />
          <RolesFields whom={group ? `group ${group}` : 'the group'} value={roles} onChange={setRoles} places={places} error={fields.roles} />
          {save.error && !named && <ErrorAlert error={save.error} />}
          <Group>
            <Button type="submit" loading={save.isPending}>
              Save group rule
            </Button>
          </Group>
        </Stack>
      </form>
    </Section>
  );
}
