import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';

/**
 * Runs the cdk-nag AwsSolutions and Serverless packs on every synth of the app, as CDK validation
 * plugins (cdk-nag 3). Any unacknowledged error fails the synth; acknowledgments sit next to the
 * resources they excuse, each with its reason, via `Validations.of(construct).acknowledge()`.
 */
export function addNagPacks(app: App): { awsSolutions: AwsSolutionsChecks; serverless: ServerlessChecks } {
  const awsSolutions = new AwsSolutionsChecks(app);
  const serverless = new ServerlessChecks(app);
  Validations.of(app).addPlugins(awsSolutions, serverless);
  return { awsSolutions, serverless };
}
