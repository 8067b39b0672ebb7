import { Alert, Anchor, Badge, Breadcrumbs, Button, Group, Paper, Stack, Table, Text, Textarea, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { ApiError, type Schemas } from '../../../api/client';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { ValueView } from '../../../components/value-view';
import { paths, type Scope, useScope } from '../../../lib/scope';
import { explainedQuery, identityQuery, usePutTraits } from '../api/identities';

type Reason = Schemas['ExplainedIdentity']['flags'][number]['reason'];

/** The engine's reason when a prerequisite is not met: `PREREQUISITE_FAILED; feature=<the prerequisite>`. */
const PREREQUISITE_FAILED = /^PREREQUISITE_FAILED; feature=(.*)$/s;

/** The answer to "why did this user get this?", in words, with a link to what decided. */
function ReasonText({ reason, engineReason, scope, featureName }: { reason: Reason; engineReason: string; scope: Scope; featureName: string }) {
  const prerequisite = PREREQUISITE_FAILED.exec(engineReason)?.[1];
  if (prerequisite !== undefined) {
    return (
      <Text size="sm">
        <Badge size="xs" color="red" variant="light" mr={6}>
          prerequisite failed
        </Badge>
        served off: it requires{' '}
        <Anchor component={Link} to={paths.feature(scope, prerequisite)} size="sm" underline="always">
          {prerequisite}
        </Anchor>
        , which this identity does not get as required
      </Text>
    );
  }
  switch (reason.kind) {
    case 'identity-override':
      return (
        <Text size="sm">
          <Badge size="xs" color="grape" variant="light" mr={6}>
            identity override
          </Badge>
          set for this identity on{' '}
          <Anchor component={Link} to={paths.feature(scope, featureName)} size="sm">
            the flag
          </Anchor>
        </Text>
      );
    case 'tenant-override':
      return (
        <Text size="sm">
          <Badge size="xs" color="cyan" variant="light" mr={6}>
            tenant override
          </Badge>
          tenant {reason.tenantId}
        </Text>
      );
    case 'segment-override':
      return (
        <Text size="sm">
          <Badge size="xs" color="indigo" variant="light" mr={6}>
            segment
          </Badge>
          {reason.segmentId ? (
            <Anchor component={Link} to={paths.segment(scope, reason.segmentId)} size="sm">
              {reason.segmentName}
            </Anchor>
          ) : (
            reason.segmentName
          )}
        </Text>
      );
    case 'split':
      return (
        <Text size="sm">
          <Badge size="xs" color="orange" variant="light" mr={6}>
            split
          </Badge>
          bucket {reason.bucket.toFixed(2)} of 100, in a {reason.weight}% variant
        </Text>
      );
    case 'tenant-segment-override':
      return (
        <Text size="sm">
          <Badge size="xs" color="indigo" variant="light" mr={6}>
            tenant segment
          </Badge>
          {reason.segmentName} (tenant {reason.tenantId})
        </Text>
      );
    case 'template':
      return (
        <Text size="sm">
          <Badge size="xs" color="teal" variant="light" mr={6}>
            template
          </Badge>
          {reason.templateKey} (tenant {reason.tenantId})
        </Text>
      );
    case 'tenant-scoped':
      return (
        <Text size="sm">
          <Badge size="xs" color="gray" variant="light" mr={6}>
            tenant-scoped
          </Badge>
          off: the feature exists only for other tenants
        </Text>
      );
    default:
      return (
        <Text size="sm">
          <Badge size="xs" color="gray" variant="light" mr={6}>
            default
          </Badge>
          the environment's value{reason.bucket !== undefined ? ` (bucket ${reason.bucket.toFixed(2)}: in no variant, so the control value)` : ''}
        </Text>
      );
  }
}

/** An identity: its traits (editable) and every flag it gets, each with the reason. */
export default function IdentityRoute() {
  const scope = useScope();
  const identifier = useParams().identifier ?? '';
  const identity = useQuery(identityQuery(scope.envId, identifier));
  const explained = useQuery(explainedQuery(scope.envId, identifier));
  const put = usePutTraits(scope.envId, identifier);
  const [traitsText, setTraitsText] = useState('{}');
  const [traitsError, setTraitsError] = useState<string>();
  const fields = put.error instanceof ApiError ? put.error.fieldErrors() : {};
  const notStored = identity.error instanceof ApiError && identity.error.status === 404;

  useEffect(() => {
    if (identity.data) setTraitsText(JSON.stringify(identity.data.traits, null, 2));
  }, [identity.data]);

  const saveTraits = () => {
    let traits: unknown;
    try {
      traits = JSON.parse(traitsText);
    } catch (error) {
      return setTraitsError(`Not valid JSON: ${(error as Error).message}`);
    }
    if (typeof traits !== 'object' || traits === null || Array.isArray(traits)) return setTraitsError('Traits are a JSON object, such as {"plan": "pro"}');
    setTraitsError(undefined);
    put.mutate({ traits: traits as Record<string, string | number | boolean | null>, ...(identity.data ? { version: identity.data.version } : {}) });
  };
  const fieldProblem = Object.entries(fields)
    .map(([path, message]) => `${path.replace(/^traits\.?/, '') || 'traits'}: ${message}`)
    .join('; ');

  return (
    <Page
      title={identifier}
      description={
        <Breadcrumbs>
          <Anchor component={Link} to={paths.identities(scope)} size="sm">
            Identities
          </Anchor>
          <Text size="sm">{identifier}</Text>
        </Breadcrumbs>
      }
    >
      {notStored && (
        <Alert color="gray" variant="light" title="Not stored">
          No identity {identifier} has been seen in this environment: below is what it would get with no traits. Save traits to create it.
        </Alert>
      )}
      {identity.error && !notStored && <ErrorAlert error={identity.error} />}
      <Paper withBorder p="md" component="section" aria-labelledby="traits-heading">
        <form
          onSubmit={(event) => {
            event.preventDefault();
            saveTraits();
          }}
          noValidate
        >
          <Stack>
            <Title order={2} size="h4" id="traits-heading">
              Traits
            </Title>
            <Textarea label="Traits (JSON)" value={traitsText} onChange={(event) => setTraitsText(event.currentTarget.value)} autosize minRows={3} error={traitsError ?? (fieldProblem || undefined)} spellCheck={false} />
            {put.error && !fieldProblem && <ErrorAlert error={put.error} title="Traits not saved" />}
            <Group justify="flex-end">
              <Button type="submit" loading={put.isPending} variant="light">
                Save traits
              </Button>
            </Group>
          </Stack>
        </form>
      </Paper>
      <Paper withBorder p="md" component="section" aria-labelledby="flags-heading">
        <Stack>
          <Title order={2} size="h4" id="flags-heading">
            Evaluated flags
          </Title>
          {explained.data && (
            <Text size="sm">
              In segments:{' '}
              {explained.data.segments.length === 0
                ? 'none'
                : explained.data.segments.map((segment, i) => (
                    <span key={segment.id}>
                      {i > 0 && ', '}
                      <Anchor component={Link} to={paths.segment(scope, segment.id)} size="sm">
                        {segment.name}
                      </Anchor>
                    </span>
                  ))}
            </Text>
          )}
          {explained.error && <ErrorAlert error={explained.error} />}
          {explained.isPending ? (
            <Loading />
          ) : (
            <Table striped aria-label="Evaluated flags with reasons">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Flag</Table.Th>
                  <Table.Th scope="col">Enabled</Table.Th>
                  <Table.Th scope="col">Value</Table.Th>
                  <Table.Th scope="col">Why</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {explained.data?.flags.map((flag) => (
                  <Table.Tr key={flag.featureName}>
                    <Table.Th scope="row" fw="normal">
                      <Anchor component={Link} to={paths.feature(scope, flag.featureName)} size="sm">
                        {flag.featureName}
                      </Anchor>
                    </Table.Th>
                    <Table.Td>{flag.enabled ? 'on' : 'off'}</Table.Td>
                    <Table.Td>
                      <ValueView value={flag.value} />
                    </Table.Td>
                    <Table.Td>
                      <ReasonText reason={flag.reason} engineReason={flag.engineReason} scope={scope} featureName={flag.featureName} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      </Paper>
    </Page>
  );
}
