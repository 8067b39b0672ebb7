#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addNagPacks } from '../lib/nag.js';
import { VexillaStack } from '../lib/vexilla-stack.js';

/**
 * Context options (`npx cdk deploy -c name=value`):
 *   stage           stack name suffix                                  (default: dev)
 *   retainData      false lets a throwaway stack delete its table       (default: true)
 *   alarmEmail      address that receives alarm notifications           (default: none)
 *   domainName      custom domain for CloudFront, with certificateArn   (default: CloudFront's)
 *   certificateArn  ACM certificate for domainName, in us-east-1
 *   guardAlarms     alarms rollouts may be guarded by: names, ARNs, prefix*  (default: vexilla-guard-*)
 */
const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null ? undefined : String(value);
};
const stage = context('stage') ?? 'dev';
const domainName = context('domainName');
const certificateArn = context('certificateArn');
if (Boolean(domainName) !== Boolean(certificateArn)) throw new Error('Pass domainName and certificateArn together.');
const alarmEmail = context('alarmEmail');
const guardAlarms = context('guardAlarms')?.split(',').map((entry) => entry.trim()).filter(Boolean);

new VexillaStack(app, `Vexilla-${stage}`, {
  description: `Vexilla feature flags and remote config (${stage})`,
  retainData: context('retainData') !== 'false',
  ...(alarmEmail ? { alarmEmail } : {}),
  ...(guardAlarms ? { guardAlarms } : {}),
  ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
});
addNagPacks(app);
