import { Anchor, List, Paper, Stack, Text, Title } from '@mantine/core';
import { Link } from 'react-router';
import type { Feature } from '../../../api/queries';
import { formatValue } from '../../../components/value-view';
import { paths, type Scope } from '../../../lib/scope';

/**
 * The features this one requires for the same identity (project-wide): when one is not met, the
 * identity gets this feature off, reason PREREQUISITE_FAILED (shown on the identity's page).
 */
export function PrerequisitesSection({ feature, scope }: { feature: Feature; scope: Scope }) {
  const prerequisites = feature.prerequisites ?? [];
  return (
    <Paper withBorder p="md">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Prerequisites
        </Title>
        {prerequisites.length === 0 ? (
          <Text size="sm" c="dimmed">
            None: this flag does not depend on another.
          </Text>
        ) : (
          <>
            <Text size="sm">Served off to an identity unless it gets each of these:</Text>
            <List size="sm" aria-label={`Prerequisites of ${feature.name}`}>
              {prerequisites.map((prerequisite) => (
                <List.Item key={prerequisite.featureName}>
                  <Anchor component={Link} to={paths.feature(scope, prerequisite.featureName)} size="sm" underline="always">
                    {prerequisite.featureName}
                  </Anchor>{' '}
                  on
                  {prerequisite.variant !== undefined ? `, variant ${prerequisite.variant}` : prerequisite.value !== undefined ? `, value ${formatValue(prerequisite.value)}` : ''}
                </List.Item>
              ))}
            </List>
          </>
        )}
      </Stack>
    </Paper>
  );
}
