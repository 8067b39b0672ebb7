import type { TestApi } from './test-api.js';

/**
 * A project with one environment (`production`) and a server key, on a test API, and `call`: an
 * admin call that returns the body, or throws with the status and body when it did not succeed.
 */
export async function testEnvironment(api: TestApi, projectName: string) {
  const call = async (method: string, path: string, body?: unknown) => {
    const reply = await api.call(method, path, body === undefined ? {} : { body });
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const projectId: string = (await call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name: projectName })).id;
  const created = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'production' });
  const envId: string = created.environment.id;
  const serverKey: string = (await call('POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'backend' })).key;
  return { call, projectId, envId, clientKey: created.clientKey as string, serverKey };
}
