import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type AppProps, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Source } from 'aws-cdk-lib/aws-s3-deployment';
import type { IConstruct } from 'constructs';
import { isPlainObject } from '../../functions/engine/records.js';
import { addVexillaStacks } from '../../lib/app.js';
import { addNagPacks } from '../../lib/nag.js';
import { VexillaStack, type VexillaStackProps } from '../../lib/vexilla-stack.js';

/**
 * Synthesises the real stack with the same cdk-nag packs as `cdk synth`, so every test file also
 * proves the packs pass (synthesis throws on an unacknowledged error). Call it once per file, at
 * module level.
 *
 * Two costs are opt-in: bundling the functions with esbuild (~1 s; `bundle: false` leaves a
 * placeholder asset, for tests that do not look at the code), and CDK's built-in CloudFormation
 * template validation (~4 s; on in `cdk synth`, here only with `cloudFormationValidation: true`).
 *
 * A synthesis of plain-data props is made once per worker and shared (the unit project keeps a
 * worker's modules from one file to the next): a dozen files read the default stack, each synth
 * costs seconds of CPU. So the result is read-only: its template is frozen (a test that sorts or
 * edits it in place fails), and no test adds constructs to its app or stack (make a scratch app).
 */
export function synthVexilla(props?: VexillaStackProps, options: { bundle?: boolean; cloudFormationValidation?: boolean } = {}): Synthesised {
  if (!isPlainData(props)) return synthesise(props, options);
  const key = JSON.stringify([props ?? null, options.bundle ?? true, options.cloudFormationValidation ?? false]);
  let synthesised = shared.get(key);
  if (!synthesised) {
    synthesised = synthesise(props, options);
    deepFreeze(synthesised.template.toJSON());
    shared.set(key, synthesised);
  }
  return synthesised;
}

type Synthesised = ReturnType<typeof synthesise>;
const shared = new Map<string, Synthesised>();

/** Strings, numbers, booleans, arrays and plain objects only: what JSON.stringify keys exactly. */
const isPlainData = (value: unknown): boolean =>
  value === undefined ||
  ['string', 'number', 'boolean'].includes(typeof value) ||
  (Array.isArray(value) && value.every(isPlainData)) ||
  (isPlainObject(value) && Object.values(value).every(isPlainData));

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}

/**
 * What every test app shares: one output folder per worker, as `cdk synth` reuses cdk.out. Assets
 * are staged by content hash and a staged one is not copied again, so a synthesis no longer copies
 * CDK's 22 MB AWS CLI layer (BucketDeployment's) into a fresh temporary folder of its own (nor
 * leaves it there). Its templates are read as each synthesis ends (Template.fromStack), before the
 * next one writes its own. No construct stack traces nor tree.json: debugging aids that are not in
 * the templates (they are identical without them) and cost a fifth of a synthesis's CPU.
 */
const appDefaults = (): AppProps => ({ outdir: (outdir ??= makeOutdir()), stackTraces: false, treeMetadata: false });
let outdir: string | undefined;
function makeOutdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vexilla-test-cdk.out-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function synthesise(props: VexillaStackProps | undefined, options: { bundle?: boolean; cloudFormationValidation?: boolean }) {
  const app = new App({
    ...appDefaults(),
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    // CDK's own switch: bundle assets only for the stacks listed (`cdk synth --exclusively` uses it).
    context: (options.bundle ?? true) ? {} : { 'aws:cdk:bundling-stacks': [] },
  });
  // The dashboard's real build has a test of its own (test/infra/dashboard.test.ts): a stand-in here.
  const stack = new VexillaStack(app, 'Vexilla-test', { dashboardAssets: Source.data('index.html', '<!doctype html><title>Vexilla</title>'), ...props });
  const packs = addNagPacks(app);
  const template = Template.fromStack(stack);
  return { app, stack, packs, template };
}

/** The logical id CloudFormation knows a construct's resource by. */
export const logicalIdOf = (construct: IConstruct): string => {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) throw new Error(`${construct.node.path} has no CloudFormation resource`);
  return Stack.of(resource).getLogicalId(resource);
};

/** Every acknowledged nag rule in the tree, by rule id, with where and why. */
export function acknowledgments(root: IConstruct): { id: string; path: string; reason: string }[] {
  const found: { id: string; path: string; reason: string }[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.push({ id: id.replace(/^annotation::/i, ''), path: construct.node.path, reason });
      }
    }
  }
  return found;
}

/**
 * Synthesises whole apps as bin/vexilla.ts builds them (the companion us-east-1 stack included),
 * one app per stage and region, all in one account, with the nag packs. No bundling.
 */
export function synthStages(stages: { stage: string; region: string; props?: VexillaStackProps }[], account = '123456789012') {
  return stages.map(({ stage, region, props }) => {
    const app = new App({ ...appDefaults(), builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = addVexillaStacks(app, { stage, stackId: `Vexilla-${stage}`, region, props: { stage, ...props } }, account);
    addNagPacks(app);
    const templates = [stacks.stack, ...(stacks.cloudFrontAlarms ? [stacks.cloudFrontAlarms] : [])].map((stack) => ({ stack, template: Template.fromStack(stack) }));
    return { stage, region, app, ...stacks, templates };
  });
}
