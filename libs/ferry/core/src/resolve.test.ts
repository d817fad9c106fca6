// resolveApp in a real temporary Nx workspace: environment overrides, build-arg layering, errors.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FerryError } from './errors.ts';
import { resolveApp } from './resolve.ts';
import { RunSession } from './session.ts';
import { createFixtureWorkspace, writeFiles } from './testing/workspace.ts';
import { findWorkspaceRoot } from './workspace.ts';

const ws = createFixtureWorkspace();
const root = ws.root;
test.after(() => ws.cleanup());

// No test here changes a project.json, so the project graph is the same throughout: the tests share
// one run (RunSession: Nx computes the graph once) instead of starting Nx for every resolveApp
// (~3 s each). ferry.json and deploy.json are still read from disk on every call. The first test
// resolves without a session, as a script outside a run does.
const session = new RunSession({ workspaceRoot: root });
const resolve = (project: string, env?: string) => resolveApp(root, project, env, session);

async function failure(p: Promise<unknown>): Promise<FerryError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FerryError) return e;
    throw e;
  }
  throw new Error('expected a FerryError');
}

test('the default environment: base fields, env build args under the app ones', async () => {
  const r = await resolveApp(root, 'api');
  assert.is(r.env.name, 'local');
  assert.is(r.env.kind, 'sandbox');
  assert.is(r.projectRoot, join(root, 'apps/api'));
  assert.is(r.workspaceRoot, root);
  assert.is(r.app.desiredCount, 1);
  assert.equal(r.app.environment, { LOG_LEVEL: 'info', REGION: 'eu' });
  assert.equal(r.app.buildArgs, { BASE_IMAGE: 'ferry-sandbox/node:20', APP: 'api' });
  assert.is(r.app.file, join(root, 'apps/api/deploy.json'));
});

test('an environment override applies over the base and merges maps', async () => {
  const r = await resolve('api', 'prod');
  assert.is(r.env.name, 'prod');
  assert.is(r.app.desiredCount, 3);
  assert.equal(r.app.environment, { LOG_LEVEL: 'warn', REGION: 'eu' });
  assert.equal(r.app.buildArgs, { BASE_IMAGE: 'node:20-slim', APP: 'api' });
  assert.is(r.app.containerPort, 3000);
});

test('a per-environment url reaches the resolved app; a bad url names the field', async () => {
  writeFiles(root, { 'apps/api/deploy.json': { containerPort: 3000, healthCheckPath: '/health', buildArgs: { APP: 'api' }, environments: { prod: { desiredCount: 3, url: 'https://api.example.com', environment: { LOG_LEVEL: 'warn' } } }, environment: { LOG_LEVEL: 'info', REGION: 'eu' } } });
  try {
    assert.is((await resolve('api', 'prod')).app.url, 'https://api.example.com');
    assert.is((await resolve('api')).app.url, undefined);
    writeFiles(root, { 'apps/api/deploy.json': { containerPort: 3000, environments: { prod: { url: 'not a url' } } } });
    const e = await failure(resolve('api', 'prod'));
    assert.match(e.message, /environments\.prod\.url/);
  } finally {
    writeFiles(root, { 'apps/api/deploy.json': { containerPort: 3000, healthCheckPath: '/health', buildArgs: { APP: 'api' }, environments: { prod: { desiredCount: 3, environment: { LOG_LEVEL: 'warn' } } }, environment: { LOG_LEVEL: 'info', REGION: 'eu' } } });
  }
});

test('app build args win over environment build args; family follows an overridden service', async () => {
  writeFiles(root, { 'apps/web/deploy.json': { buildArgs: { BASE_IMAGE: 'mine' }, environments: { prod: { service: 'web-prod' } } } });
  const local = await resolve('web');
  assert.equal(local.app.buildArgs, { BASE_IMAGE: 'mine' });
  const prod = await resolve('web', 'prod');
  assert.is(prod.app.service, 'web-prod');
  assert.is(prod.app.family, 'web-prod');
});

test('FERRY_ENV picks the environment when --env is not given', async () => {
  process.env.FERRY_ENV = 'prod';
  try {
    assert.is((await resolve('api')).env.name, 'prod');
  } finally {
    delete process.env.FERRY_ENV;
  }
});

test('an unknown environment lists the known ones', async () => {
  const e = await failure(resolve('api', 'prd'));
  assert.is(e.code, 'ENV_UNKNOWN');
  assert.is(e.message, 'Unknown environment "prd". Did you mean "prod"? Known environments: local, prod (from ferry.json).');
});

test('a project without deploy.json names the file to create', async () => {
  const e = await failure(resolve('shared'));
  assert.is(e.code, 'CONFIG_MISSING');
  assert.match(e.message, /^libs\/shared\/deploy\.json does not exist\. Create it /);
});

test('an unknown project suggests a close one', async () => {
  const e = await failure(resolve('api2'));
  assert.is(e.code, 'NOT_FOUND');
  assert.match(e.message, /^No Nx project named "api2"\. Did you mean "api"\?/);
});

test('a build context outside the workspace is refused', async () => {
  writeFiles(root, { 'apps/web/deploy.json': { context: '../../..' } });
  const e = await failure(resolve('web'));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.match(e.message, /^apps\/web\/deploy\.json: context must stay inside the workspace \(got "\.\.\/\.\.\/\.\."/);
});

test('an override for an environment ferry.json does not define is refused (typo guard)', async () => {
  writeFiles(root, { 'apps/web/deploy.json': { environments: { prd: { desiredCount: 2 } } } });
  const e = await failure(resolve('web', 'local'));
  assert.is(e.code, 'CONFIG_INVALID');
  assert.is(e.message, 'apps/web/deploy.json: environments.prd overrides an environment that ferry.json does not define. Did you mean "prod"? Known environments: local, prod. Rename the key or add the environment to ferry.json.');
});

test('findWorkspaceRoot walks up to nx.json and explains when there is none', () => {
  assert.is(findWorkspaceRoot(join(root, 'apps/api/src')), root);
  rmSync(join(root, 'nx.json'));
  try {
    findWorkspaceRoot(join(root, 'apps'));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, FerryError);
    assert.match((e as Error).message, /No nx\.json found in .* or any parent directory/);
  }
});

test.run();
