import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { VexillaStack } from '../../lib/vexilla-stack.js';

describe('VexillaStack', () => {
  it('synthesises offline, with no account, region or lookups', () => {
    const app = new App();
    const stack = new VexillaStack(app, 'Vexilla-test');
    const template = Template.fromStack(stack).toJSON() as { Parameters?: Record<string, unknown> };
    // The bootstrap version parameter proves a real, deployable template came out of synth.
    expect(template.Parameters).toHaveProperty('BootstrapVersion');
    expect(stack.resolve(stack.account)).toEqual({ Ref: 'AWS::AccountId' });
  });
});
