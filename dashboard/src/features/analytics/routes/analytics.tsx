import '@mantine/charts/styles.css';
import { Choice } from '../../../components/choice';
import { LineChart } from '@mantine/charts';
import { Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../../api/client';
import { useCurrentEnvironment } from '../../../api/queries';
import { ErrorAlert } from '../../../components/error-alert';
import { Loading } from '../../../components/loading';
import { Page } from '../../../components/page';
import { useScope } from '../../../lib/scope';

const COLORS = ['indigo.7', 'teal.8', 'orange.8', 'grape.7', 'cyan.8', 'red.8', 'lime.9', 'pink.7'];
const TOP = 8;

/** Evaluations per flag per day (as SDKs report them): a chart of the busiest flags, and the numbers. */
export default function AnalyticsRoute() {
  const scope = useScope();
  const environment = useCurrentEnvironment(scope.projectId, scope.envId);
  const [days, setDays] = useState('14');
  const analytics = useQuery({
    queryKey: ['analytics', scope.envId, days],
    queryFn: () => unwrap(api.GET('/admin/v1/environments/{envId}/analytics/evaluations', { params: { path: { envId: scope.envId }, query: { days: Number(days) } } })),
  });
  const totals = Object.entries(analytics.data?.totals ?? {}).sort((a, b) => b[1] - a[1]);
  const top = totals.slice(0, TOP).map(([name]) => name);
  const data = (analytics.data?.days ?? []).map((day) => ({ day: day.day.slice(5), ...Object.fromEntries(top.map((name) => [name, day.counts[name] ?? 0])) }));

  return (
    <Page title="Analytics" description={<Text size="sm" c="dimmed">Flag evaluations per day in {environment?.name ?? 'this environment'}, as SDKs report them (UTC days).</Text>}>
      <Choice
        label="Period"
        value={days}
        onChange={setDays}
        data={[
          { value: '7', label: '7 days' },
          { value: '14', label: '14 days' },
          { value: '30', label: '30 days' },
          { value: '90', label: '90 days' },
        ]}
        w="fit-content"
      />
      {analytics.error && <ErrorAlert error={analytics.error} />}
      {analytics.isPending ? (
        <Loading />
      ) : totals.length === 0 ? (
        <Text size="sm" c="dimmed">
          No evaluations reported in these {days} days. SDKs report counts with analytics on (POST /api/v1/analytics/flags/).
        </Text>
      ) : (
        <Stack>
          <Paper withBorder p="md" component="figure" m={0} aria-labelledby="chart-caption">
            <Title order={2} size="h5" id="chart-caption" component="figcaption" mb="sm">
              Evaluations per day, {top.length === totals.length ? 'every flag' : `the ${top.length} busiest flags`}
            </Title>
            <LineChart h={300} data={data} dataKey="day" series={top.map((name, i) => ({ name, color: COLORS[i % COLORS.length] as string }))} curveType="linear" withLegend withDots={false} />
          </Paper>
          <Table striped aria-label="Evaluations per flag">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Flag</Table.Th>
                <Table.Th scope="col">Evaluations in {days} days</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {totals.map(([name, count]) => (
                <Table.Tr key={name}>
                  <Table.Th scope="row" fw="normal">
                    {name}
                  </Table.Th>
                  <Table.Td>{count.toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Page>
  );
}
