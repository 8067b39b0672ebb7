import { Anchor, Badge, Breadcrumbs, Button, Group, Paper, Stack, Text, Textarea, Timeline, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError } from '../../../api/client';
import { type ChangeConflict, environmentOverridesQuery, featureStatesQuery, useCurrentEnvironment, useSegments } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { Time } from '../../../components/time';
import { paths, useScope } from '../../../lib/scope';
import { changeRequestQuery, useChangeRequestAction, useComment } from '../api/change-requests';
import { ChangeDiff, ConflictList } from '../components/change-diff';

/** A change request: what will change against what is live, approvals, comments, apply. */
export default function ChangeRequestRoute() {
  const scope = useScope();
  const id = useParams().changeRequestId ?? '';
  const request = useQuery(changeRequestQuery(scope.envId, id));
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const states = useQuery(featureStatesQuery(scope.envId));
  const overrides = useQuery(environmentOverridesQuery(scope.envId));
  const segments = useSegments(scope.projectId);
  const action = useChangeRequestAction(scope.envId, id);
  const comment = useComment(scope.envId, id);
  const [text, setText] = useState('');

  if (request.isPending) return <Loading label="Loading the change request" />;
  if (!request.data) return <ErrorAlert error={request.error} />;
  const cr = request.data;
  const stateMap = new Map((states.data ?? []).map((state) => [state.featureName, state]));
  const segmentName = (segmentId: string) => segments.data?.find((segment) => segment.id === segmentId)?.name ?? segmentId;
  const required = environment?.requiredApprovals ?? 0;
  const conflicts = action.error instanceof ApiError && action.error.status === 409 && Array.isArray(action.error.details) ? (action.error.details as ChangeConflict[]) : undefined;
  const open = cr.status === 'open';

  return (
    <Page
      title={cr.title}
      description={
        <Stack gap={4}>
          <Breadcrumbs>
            <Anchor component={Link} to={paths.changeRequests(scope)} size="sm">
              Change requests
            </Anchor>
            <Text size="sm">{cr.title}</Text>
          </Breadcrumbs>
          <Group gap="xs">
            <Badge variant="light" color={open ? 'indigo' : cr.status === 'applied' ? 'green' : 'gray'}>
              {cr.status}
            </Badge>
            <Text size="sm">
              by {cr.author.name}, <Time iso={cr.createdAt} /> · {cr.approvals.length} of {required} approval{required === 1 ? '' : 's'}
              {cr.approvals.length > 0 && ` (${cr.approvals.map((approval) => approval.name).join(', ')})`}
            </Text>
          </Group>
        </Stack>
      }
      actions={
        open && (
          <>
            <Button variant="default" onClick={() => action.mutate({ action: 'close', version: cr.version })} loading={action.isPending && action.variables?.action === 'close'}>
              Close without applying
            </Button>
            <Button variant="light" onClick={() => action.mutate({ action: 'approve', version: cr.version })} loading={action.isPending && action.variables?.action === 'approve'}>
              Approve
            </Button>
            <Button onClick={() => action.mutate({ action: 'apply', version: cr.version })} loading={action.isPending && action.variables?.action === 'apply'}>
              Apply
            </Button>
          </>
        )
      }
    >
      {cr.description && <Text>{cr.description}</Text>}
      {action.error && <ErrorAlert error={action.error} title={conflicts ? 'Nothing was applied: these changed since they were proposed' : 'Not done'} />}
      {conflicts && <ConflictList conflicts={conflicts} />}
      {action.isSuccess && (
        <Text size="sm" c="teal.9" role="status">
          {action.variables?.action === 'apply' ? 'Applied: the changes are live.' : action.variables?.action === 'approve' ? 'Approved.' : 'Closed.'}
        </Text>
      )}
      <Title order={2} size="h4">
        {cr.status === 'applied' ? 'What was applied' : 'What will change'}
      </Title>
      {cr.changes.map((change, i) => (
        <ChangeDiff key={i} change={change} states={stateMap} overrides={overrides.data} segmentName={segmentName} applied={cr.status === 'applied'} />
      ))}
      <Paper withBorder p="md" component="section" aria-labelledby="discussion-heading">
        <Stack>
          <Title order={2} size="h4" id="discussion-heading">
            Discussion
          </Title>
          {cr.comments.length === 0 ? (
            <Text size="sm" c="dimmed">
              No comments yet.
            </Text>
          ) : (
            <Timeline bulletSize={12} lineWidth={2}>
              {cr.comments.map((item) => (
                <Timeline.Item key={item.id} title={item.name}>
                  <Text size="sm">{item.text}</Text>
                  <Time iso={item.at} />
                </Timeline.Item>
              ))}
            </Timeline>
          )}
          <form
            onSubmit={(event) => {
              event.preventDefault();
              if (text.trim()) comment.mutate(text, { onSuccess: () => setText('') });
            }}
          >
            <Stack gap="xs">
              <Textarea label="Comment" value={text} onChange={(event) => setText(event.currentTarget.value)} autosize minRows={2} error={comment.error instanceof ApiError ? comment.error.fieldErrors().text : undefined} />
              {comment.error && <ErrorAlert error={comment.error} />}
              <Group justify="flex-end">
                <Button type="submit" variant="light" loading={comment.isPending}>
                  Add comment
                </Button>
              </Group>
            </Stack>
          </form>
        </Stack>
      </Paper>
    </Page>
  );
}
