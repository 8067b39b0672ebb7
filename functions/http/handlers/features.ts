import { allows } from '../../domain/access.js';
import { Forbidden, Invalid, NotFound } from '../../domain/errors.js';
import { loadSnapshot } from '../../domain/environment-snapshot.js';
import { exportDocument } from '../../domain/flagsmith-document.js';
import { getImport as getImportJob, startImport } from '../../domain/use-cases/import-flagsmith.js';
import { publicationStatus } from '../../domain/use-cases/publish-documents.js';
import * as useCases from '../../domain/use-cases/features.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, environmentOf, type Handler, type HandlerContext, ok, param, projectOf, queryAs } from './context.js';

export const listFeatures: Handler = async (c) => ok(await useCases.listFeatures(c.deps, projectOf(c), queryAs(c, schemas.listQuery)));
export const createFeature: Handler = async (c) =>
  ok(await useCases.createFeature(c.deps, c.actor, projectOf(c), bodyAs(c, schemas.createFeatureBody)));
export const getFeature: Handler = async (c) => ok(await useCases.getFeature(c.deps, projectOf(c), param(c, 'featureName')));
export const updateFeature: Handler = async (c) =>
  ok(await useCases.updateFeature(c.deps, c.actor, projectOf(c), param(c, 'featureName'), bodyAs(c, schemas.updateFeatureBody)));
export const deleteFeature: Handler = async (c) => ok(await useCases.deleteFeature(c.deps, c.actor, projectOf(c), param(c, 'featureName')));

/** `If-Match: 3` or `If-Match: "3"` (an ETag as GET returned it); anything else, an empty value included, is refused. */
function ifMatch({ headers }: HandlerContext): number | undefined {
  const header = headers['if-match'];
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match?.[1]) throw new Invalid('If-Match must be a feature-state version.', [{ path: 'If-Match', message: 'expected a version number, e.g. "3"' }]);
  return Number(match[1]);
}
const etag = (version: number) => ({ etag: `"${version}"` });

export const listFeatureStates: Handler = async (c) => ok({ items: await useCases.listFeatureStates(c.deps, environmentOf(c), projectOf(c)) });
export const getFeatureState: Handler = async (c) => {
  const state = await useCases.getFeatureState(c.deps, environmentOf(c), projectOf(c), param(c, 'featureName'));
  return ok(state, etag(state.version));
};
export const patchFeatureState: Handler = async (c) => {
  const state = await useCases.patchFeatureState(
    c.deps,
    c.actor,
    environmentOf(c),
    projectOf(c),
    param(c, 'featureName'),
    bodyAs(c, schemas.patchFeatureStateBody),
    ifMatch(c),
  );
  return ok(state, etag(state.version));
};
export const listFeatureStateVersions: Handler = async (c) =>
  ok(await useCases.listVersions(c.deps, environmentOf(c), projectOf(c), param(c, 'featureName'), queryAs(c, schemas.listQuery)));
export const restoreFeatureStateVersion: Handler = async (c) => {
  const version = Number(param(c, 'version'));
  if (!Number.isInteger(version) || version < 1) throw new Invalid('No such version.', [{ path: 'version', message: 'expected a version number' }]);
  const state = await useCases.restoreVersion(
    c.deps,
    c.actor,
    environmentOf(c),
    projectOf(c),
    param(c, 'featureName'),
    version,
    ifMatch(c) ?? bodyAs(c, schemas.restoreVersionBody).version,
  );
  return ok(state, etag(state.version));
};

/** Import creates project-level features and segments, so it needs write access to the project too. */
export const importFlagsmith: Handler = async (c) => {
  const project = projectOf(c);
  if (!allows(c.actor, { orgId: project.orgId, projectId: project.id }, 'write')) {
    throw new Forbidden('Importing creates features and segments: it needs an editor or admin role on the project.');
  }
  const dryRun = (c.query as { dryRun?: string } | undefined)?.dryRun === 'true';
  const started = await startImport(c.deps, c.actor, environmentOf(c), project, c.body, { dryRun });
  return ok(started, { location: started.location });
};
export const getImport: Handler = async (c) => ok(await getImportJob(c.deps, environmentOf(c), param(c, 'jobId')));

export const getPublication: Handler = async (c) => {
  const status = await publicationStatus(c.deps.store, environmentOf(c).id);
  if (!status) throw new NotFound('No such environment.');
  return ok(status);
};

/** Deterministic JSON: the body is sent as is, not re-serialised. */
export const exportEnvironment: Handler = async (c) => {
  const snapshot = await loadSnapshot(c.deps.store, environmentOf(c).id);
  if (!snapshot) throw new NotFound('No such environment.');
  const overrides = await c.deps.store.listAll({ of: 'environment-identity-overrides', envId: snapshot.environment.id });
  return { body: exportDocument(snapshot, overrides), raw: true };
};
