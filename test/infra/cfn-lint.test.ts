import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthStages, synthVexilla } from './synth.js';

/**
 * cfn-lint (AWS's CloudFormation linter, a Python tool) over the synthesised templates of three
 * configurations, in one run (its start-up is most of its time). It is not an npm package:
 * `.ci/run` installs it when it can; where it is missing, this suite says so and skips, never
 * silently.
 */
const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) console.warn('cfn-lint is not installed (pip install cfn-lint): the cfn-lint tests are SKIPPED.');

const configurations = {
  default: () => [synthVexilla(undefined, { bundle: false })],
  // Every option on, outside us-east-1: the us-east-1 CloudFront alarm stack comes along.
  full: () =>
    synthStages([
      {
        stage: 'prod',
        region: 'eu-west-1',
        props: {
          alarmEmail: 'ops@example.com',
          backup: true,
          customDomain: { domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666' },
          webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vexilla/0a1b2c3d-1111-2222-3333-444455556666',
          corsAllowOrigins: ['https://app.example.com'],
          sdkThrottle: { rateLimit: 2000, burstLimit: 4000 },
          webhookMaxConcurrency: 20,
          costTags: { CostCenter: '4711' },
        },
      },
    ])[0]!.templates,
  throwaway: () => [synthVexilla({ retainData: false, originVerify: false }, { bundle: false })],
} as const;

const dir = mkdtempSync(join(tmpdir(), 'vexilla-cfn-lint-'));
const findings = new Map<string, string[]>();
let status: number | null = null;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  if (!available) return;
  const files: string[] = [];
  for (const [name, synth] of Object.entries(configurations)) {
    for (const { stack, template } of synth()) {
      const file = join(dir, `${name}--${stack.stackName}.template.json`);
      writeFileSync(file, JSON.stringify(template.toJSON()));
      files.push(file);
    }
  }
  // W3005: CDK gives each function both a GetAtt of its role and an explicit DependsOn on it (so
  // the role's policy exists before the function runs); the second is redundant, not wrong.
  const lint = spawn('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', ...files]);
  let output = '';
  lint.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  status = await new Promise<number | null>((resolve) => lint.on('close', resolve));
  for (const line of output.split('\n').filter(Boolean)) {
    const name = line.replace(`${dir}/`, '').split('--')[0]!;
    findings.set(name, [...(findings.get(name) ?? []), line.replace(`${dir}/`, '')]);
  }
}, 600_000);

describe.skipIf(!available)(`cfn-lint ${version.stdout?.trim() ?? ''}`, () => {
  it.each(Object.keys(configurations))('finds nothing in the %s configuration', (name) => {
    expect(findings.get(name) ?? []).toEqual([]);
  });

  it('ran and exited cleanly', () => {
    expect(status).toBe(0);
  });
});
