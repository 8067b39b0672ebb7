import { type App, Tags } from 'aws-cdk-lib';
import type { VexillaAppConfig } from './context.js';
import { VexillaEdgeAlarmsStack } from './edge-alarms-stack.js';
import { CLOUDFRONT_METRICS_REGION } from './observability.js';
import { costAllocationTags, VexillaStack } from './vexilla-stack.js';

/**
 * The stacks of one stage. Outside us-east-1 the CloudFront alarm cannot live in the main stack
 * (CloudFront's metrics are only in us-east-1, and an alarm reads its own region's), so a second,
 * small stack in us-east-1 holds it, fed the distribution id by a CDK cross-region reference;
 * `cdk deploy --all` deploys both. With no region at all (an offline `cdk synth`) the stack stays
 * environment-agnostic and creates that alarm itself only if it is deployed to us-east-1.
 */
export function addVexillaStacks(app: App, config: VexillaAppConfig, account?: string): { stack: VexillaStack; cloudFrontAlarms?: VexillaEdgeAlarmsStack } {
  const crossRegion = config.region !== undefined && config.region !== CLOUDFRONT_METRICS_REGION;
  const stack = new VexillaStack(app, config.stackId, {
    ...config.props,
    ...(config.region ? { env: { region: config.region, ...(account ? { account } : {}) } } : {}),
    ...(crossRegion ? { crossRegionReferences: true } : {}),
  });
  if (!crossRegion) return { stack };
  const cloudFrontAlarms = new VexillaEdgeAlarmsStack(app, `${config.stackId}-cloudfront-alarms`, {
    description: `Vexilla CloudFront alarms (${config.stage}), in us-east-1 where CloudFront's metrics are`,
    distributionId: stack.service.edge.distribution.distributionId,
    alarmEmail: config.props.alarmEmail,
    retain: config.props.retainData,
    terminationProtection: config.props.retainData ?? true,
    ...(account ? { env: { account } } : {}),
  });
  for (const [key, value] of Object.entries(costAllocationTags(config.stage, config.props.costTags))) Tags.of(cloudFrontAlarms).add(key, value);
  return { stack, cloudFrontAlarms };
}
