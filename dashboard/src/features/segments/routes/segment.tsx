import { Anchor, Breadcrumbs, Button, Group, Paper, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../../../api/client';
import { type SegmentRule, useCurrentEnvironment } from '../../../api/queries';
import { ConfirmButton } from '../../../components/confirm-button';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { segmentQuery, useDeleteSegment, useSaveSegment } from '../api/segments';
import { emptyRule, RuleEditor } from '../components/rule-builder';
import { TryIt } from '../components/try-it';

/** A segment: nested ALL / ANY / NONE rules over traits, and a live "try it". */
export default function SegmentRoute() {
  const scope = useScope();
  const navigate = useNavigate();
  const segmentId = useParams().segmentId;
  const segment = useQuery(segmentQuery(scope.projectId, segmentId ?? ''));
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [rules, setRules] = useState<SegmentRule[]>([emptyRule()]);
  const save = useSaveSegment(scope.projectId, segmentId);
  const remove = useDeleteSegment(scope.projectId);
  const errors = save.error instanceof ApiError && save.error.status === 422 ? save.error.fieldErrors() : {};

  useEffect(() => {
    if (segment.data) {
      setName(segment.data.name);
      setDescription(segment.data.description);
      setRules(segment.data.rules.length ? segment.data.rules : [emptyRule()]);
    }
  }, [segment.data]);

  if (segmentId && segment.isPending) return <Loading label="Loading the segment" />;
  const title = segmentId ? (segment.data?.name ?? 'Segment') : 'New segment';

  return (
    <Page
      title={title}
      description={
        <Breadcrumbs>
          <Anchor component={Link} to={paths.segments(scope)} size="sm">
            Segments
          </Anchor>
          <Text size="sm">{title}</Text>
        </Breadcrumbs>
      }
      actions={
        segmentId && (
          <ConfirmButton
            variant="subtle"
            title={`Delete the segment ${segment.data?.name}?`}
            message="Its overrides stop applying in every environment."
            confirmLabel="Delete segment"
            onConfirm={() => remove.mutate(segmentId, { onSuccess: () => navigate(paths.segments(scope)) })}
          >
            Delete segment
          </ConfirmButton>
        )
      }
    >
      {segment.error && <ErrorAlert error={segment.error} />}
      {remove.error && <ErrorAlert error={remove.error} title="Not deleted" />}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate(
            { name, description, rules, ...(segment.data ? { version: segment.data.version } : {}) },
            { onSuccess: (saved) => !segmentId && navigate(paths.segment(scope, saved.id), { replace: true }) },
          );
        }}
        noValidate
      >
        <Stack>
          <Paper withBorder p="md">
            <Stack>
              <TextInput label="Name" value={name} onChange={(event) => setName(event.currentTarget.value)} error={errors.name} required />
              <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} error={errors.description} autosize minRows={1} />
            </Stack>
          </Paper>
          <Title order={2} size="h4">
            Rules
          </Title>
          <Text size="sm" c="dimmed">
            An identity is in the segment when every rule matches.
          </Text>
          {errors.rules && (
            <Text size="sm" c="red.9" role="alert">
              {errors.rules}
            </Text>
          )}
          {rules.map((rule, i) => (
            <RuleEditor
              key={i}
              rule={rule}
              label={`Rule ${i + 1}`}
              path={`rules.${i}`}
              errors={errors}
              onChange={(next) => setRules(rules.map((r, j) => (j === i ? next : r)))}
              onRemove={rules.length > 1 ? () => setRules(rules.filter((_, j) => j !== i)) : undefined}
            />
          ))}
          <Group>
            <Button variant="light" onClick={() => setRules([...rules, emptyRule()])}>
              Add rule
            </Button>
          </Group>
          {save.error && <ErrorAlert error={save.error} title="Not saved" />}
          {save.isSuccess && (
            <Text size="sm" c="teal.9" role="status">
              Segment saved.
            </Text>
          )}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending}>
              {segmentId ? 'Save segment' : 'Create segment'}
            </Button>
          </Group>
          <TryIt rules={rules} segmentKey={segment.data?.hashKey} environment={environment} />
        </Stack>
      </form>
    </Page>
  );
}
