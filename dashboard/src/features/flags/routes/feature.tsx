import { Anchor, Badge, Breadcrumbs, Group, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useCurrentEnvironment, useEnvironments } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { paths, useScope } from '../../../lib/scope';
import { featureQuery, featureStateQuery } from '../api/feature';
import { AuditTrail } from '../components/audit-trail';
import { OverridesSection } from '../components/overrides-section';
import { PrerequisitesSection } from '../components/prerequisites-section';
import { type Proposal, ProposeDialog } from '../components/propose-dialog';
import { StateEditor } from '../components/state-editor';
import { VersionsSection } from '../components/versions-section';

/** One flag: its value in this environment, overrides, history and audit trail. */
export default function FeatureRoute() {
  const scope = useScope();
  const featureName = useParams().featureName ?? '';
  const feature = useQuery(featureQuery(scope.projectId, featureName));
  const state = useQuery(featureStateQuery(scope.envId, featureName));
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const environments = useEnvironments(scope.projectId);
  const [proposal, setProposal] = useState<Proposal>();
  const envNames = new Map((environments.data ?? []).map((env) => [env.id, env.name]));

  const error = feature.error ?? state.error;
  return (
    <Page
      title={featureName}
      description={
        <Stack gap={4}>
          <Breadcrumbs>
            <Anchor component={Link} to={paths.flags(scope)} size="sm">
              Flags
            </Anchor>
            <Text size="sm">{featureName}</Text>
          </Breadcrumbs>
          {feature.data && (
            <Group gap="xs">
              <Badge variant="light" color="gray">
                {feature.data.kind === 'MULTIVARIATE' ? 'multivariate' : 'standard'}
              </Badge>
              <Badge variant="light" color="gray">
                {feature.data.valueType}
              </Badge>
              {feature.data.tags.map((tag) => (
                <Badge key={tag} variant="outline" color="gray">
                  {tag}
                </Badge>
              ))}
              {feature.data.description && (
                <Text size="sm" c="dimmed">
                  {feature.data.description}
                </Text>
              )}
            </Group>
          )}
        </Stack>
      }
    >
      {error ? <ErrorAlert error={error} /> : null}
      {feature.data && state.data && environment ? (
        <>
          <StateEditor key={`${environment.id}:${feature.data.name}`} feature={feature.data} state={state.data} environment={environment} onPropose={setProposal} />
          <PrerequisitesSection feature={feature.data} scope={scope} />
          <OverridesSection feature={feature.data} environment={environment} scope={scope} onPropose={setProposal} />
          <VersionsSection feature={feature.data} environment={environment} state={state.data} />
          <AuditTrail feature={feature.data} orgId={scope.orgId} envNames={envNames} />
        </>
      ) : (
        !error && <Loading label="Loading the flag" />
      )}
      <ProposeDialog proposal={proposal} scope={scope} onClose={() => setProposal(undefined)} />
    </Page>
  );
}
