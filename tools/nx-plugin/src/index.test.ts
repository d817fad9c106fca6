import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createNodesV2, DEPLOY_CHAIN, FERRY_TARGETS, parseJsonObject } from './index.ts';
import { SCRIPT_EXECUTOR } from './targets.ts';

let root = '';

function write(path: string, value: unknown): void {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
}

async function infer(files: string[], options: object = {}) {
  const [pattern, createNodes] = createNodesV2;
  assert.is(pattern, '**/deploy.json');
  return createNodes(files, options, { workspaceRoot: root, nxJsonConfiguration: {} });
}

test.before.each(() => {
  root = mkdtempSync(join(tmpdir(), 'ferry-nx-plugin-'));
  write('ferry.json', {
    environments: {
      staging: { kind: 'aws', region: 'eu-west-1', cluster: 's' },
      local: { kind: 'sandbox', region: 'us-east-1', cluster: 'l' },
    },
  });
  write('apps/api/project.json', { name: 'api', targets: { build: { command: 'true' } } });
  write('apps/api/deploy.json', { service: 'api-svc', repository: 'team/api', containerPort: 3000 });
  write('apps/legacy/package.json', { name: 'legacy' });
  write('apps/legacy/deploy.json', {});
  write('apps/plain/project.json', { name: 'plain' });
  write('docs/examples/deploy.json', {});
});
test.after.each(() => rmSync(root, { recursive: true, force: true }));

const envs = { local: { env: 'local' }, staging: { env: 'staging' } };

test('infers the full target set for a project with deploy.json', async () => {
  const results = await infer(['apps/api/deploy.json']);
  assert.is(results.length, 1);
  const [file, result] = results[0];
  assert.is(file, 'apps/api/deploy.json');
  const project = result.projects?.['apps/api'];
  assert.ok(project);
  assert.is(project.root, 'apps/api');
  assert.equal(project.metadata, { technologies: ['docker', 'aws-ecs'], ferry: { service: 'api-svc', repository: 'team/api' } });
  const targets = project.targets ?? {};
  assert.equal(Object.keys(targets).sort(), [...FERRY_TARGETS].sort());

  // What Nx will do with these targets, not a copy of the table that builds them (targets.ts).
  const deps = (name: string) => ((targets[name].dependsOn ?? []) as { target: string; params?: string; projects?: string[] }[]);
  for (const name of FERRY_TARGETS) {
    const t = targets[name];
    // Every target runs its own entry script through the batch-capable script executor, with one
    // configuration per environment of ferry.json passing --env.
    assert.is(t.executor, SCRIPT_EXECUTOR, name);
    assert.equal(t.options, { script: name }, name);
    assert.equal(t.configurations, envs, name);
    const m = t.metadata as { description: string; technologies: string[] };
    assert.equal(m.technologies, ['docker', 'aws-ecs'], `${name} technologies`);
    assert.ok(m.description.length > 20, `${name} has a description`);
  }

  // `deploy` reaches the whole chain through dependsOn, one step after another, each forwarding
  // the command line's flags (`nx run api:deploy --timeout 300` reaches every step).
  const chain: string[] = [];
  for (let at = 'deploy'; deps(at).length; ) {
    const [d, ...more] = deps(at);
    assert.equal(more, [], `${at} depends on one step`);
    assert.is(d.params, 'forward', `${at} -> ${d.target} forwards the flags`);
    chain.unshift(d.target);
    at = d.target;
  }
  assert.equal(chain, [...DEPLOY_CHAIN]);
  // build-image does not depend on the app's build: as an Nx dependency, changed apps' builds
  // finishing at different times split a run into one batch per app (app-builds.ts).
  assert.not.ok(deps('build-image').some((d) => d.target === 'build'), 'build-image runs the build itself');
  // diff hashes the bundle, so it needs the app's build, without ferry's flags (build knows no --env).
  assert.equal(deps('diff'), [{ target: 'build', params: 'ignore' }]);
  // Commands that must never build or push anything depend on nothing.
  for (const name of ['rollback', 'promote', 'history', 'run', 'logs', 'verify']) assert.equal(deps(name), [], `${name} starts no other task`);
});

test('nothing is cached except what the app owns (its build)', async () => {
  const [[, result]] = await infer(['apps/api/deploy.json']);
  const targets = result.projects!['apps/api'].targets!;
  for (const name of FERRY_TARGETS) assert.is(targets[name].cache, false, name);
  assert.not.ok('build' in targets, 'build stays the project’s own target');
});

test('deploy runs the chain build-image -> push -> deploy-app -> health-check -> smoke-test', async () => {
  const [[, result]] = await infer(['apps/api/deploy.json']);
  const targets = result.projects!['apps/api'].targets!;
  const chain: string[] = [];
  let at: string | undefined = 'deploy';
  while (at) {
    chain.unshift(at);
    const dep = targets[at]?.dependsOn?.[0] as { target: string } | undefined;
    at = dep?.target;
  }
  assert.equal(chain, ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy']);
  assert.equal(chain.slice(0, -1), [...DEPLOY_CHAIN]);
});

test('a package.json project gets the targets too; files outside a project are skipped', async () => {
  const results = await infer(['apps/legacy/deploy.json', 'docs/examples/deploy.json']);
  const roots = results.flatMap(([, r]) => Object.keys(r.projects ?? {}));
  assert.equal(roots, ['apps/legacy']);
});

test('a project without deploy.json gets nothing', async () => {
  const results = await infer(['apps/api/deploy.json', 'apps/legacy/deploy.json']);
  const roots = results.flatMap(([, r]) => Object.keys(r.projects ?? {}));
  assert.not.ok(roots.includes('apps/plain'));
  assert.equal(roots.sort(), ['apps/api', 'apps/legacy']);
});

test('without ferry.json there are no configurations (the scripts fall back to the default environment)', async () => {
  rmSync(join(root, 'ferry.json'));
  const [[, result]] = await infer(['apps/api/deploy.json']);
  assert.equal(result.projects!['apps/api'].targets!['deploy-app'].configurations, {});
});

test('the scriptsDir option moves where the scripts are looked up', async () => {
  const [[, result]] = await infer(['apps/api/deploy.json'], { scriptsDir: 'tools/deploy/' });
  assert.equal(result.projects!['apps/api'].targets!.push.options, { script: 'push', scriptsDir: 'tools/deploy' });
});

test('a broken deploy.json is skipped with a warning naming line and column; other projects keep their targets', async () => {
  write('apps/api/deploy.json', '{\n  "service": "api"\n  "containerPort": 3000\n}\n');
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
  try {
    const results = await infer(['apps/api/deploy.json', 'apps/legacy/deploy.json']);
    assert.equal(results.find(([f]) => f === 'apps/api/deploy.json')?.[1], {});
    assert.ok(results.find(([f]) => f === 'apps/legacy/deploy.json')?.[1].projects?.['apps/legacy']?.targets?.deploy);
  } finally {
    console.warn = warn;
  }
  assert.match(warnings.join('\n'), /apps\/api\/deploy\.json: invalid JSON at line 3, column 3 \(CommaExpected\)/);
});

const broken: [string, string, string][] = [
  ['a missing comma', '{\n  "a": 1\n  "b": 2\n}', 'line 3, column 3 (CommaExpected)'],
  ['a trailing comma', '{\n  "a": 1,\n}\n', 'line 3, column 1 (PropertyNameExpected)'],
  ['a comment', '{ // x\n "a": 1 }', 'line 1, column 3 (InvalidCommentToken)'],
  ['an unfinished file', '{ "service": ', 'line 1, column 14 (ValueExpected)'],
  ['CRLF line ends', '{\r\n  "a": 1\r\n  "b": 2\r\n}', 'line 3, column 3 (CommaExpected)'],
  ['empty', '', 'line 1, column 1 (ValueExpected)'],
  ['an array', '[1]', 'must contain a JSON object'],
];
for (const [what, text, where] of broken) {
  test(`parseJsonObject: ${what}`, () => {
    const r = parseJsonObject(text, 'apps/api/deploy.json');
    assert.ok('error' in r, JSON.stringify(r));
    assert.ok(r.error.includes(where), r.error);
  });
}

test('${app:<project>.url} in environment: deploy-app runs after that app\'s deploy-app (a task-graph edge, no project-graph edge)', async () => {
  write('apps/web/project.json', { name: 'web' });
  write('apps/web/deploy.json', { containerPort: 3000, environment: { API_URL: '${app:api.url}' } });
  const [[, result]] = await infer(['apps/web/deploy.json']);
  assert.equal(result.projects!['apps/web'].targets!['deploy-app'].dependsOn, [{ target: 'push', params: 'forward' }, { target: 'deploy-app', projects: ['api'], params: 'forward' }]);
});

test('${app:<project>.url} in a task definition template (any environment\'s): the same task-graph edge', async () => {
  write('apps/web/project.json', { name: 'web' });
  write('apps/web/deploy.json', { taskDefinition: 'td.json', environments: { staging: { taskDefinition: 'td.staging.json' } } });
  write('apps/web/td.json', { family: 'web', containerDefinitions: [{ name: 'web', environment: [{ name: 'API', value: '${app:api.url}/v1' }] }] });
  write('apps/web/td.staging.json', { family: 'web', containerDefinitions: [{ name: 'web', environment: [{ name: 'LEGACY', value: '${app:legacy.url}' }] }] });
  const [[, result]] = await infer(['apps/web/deploy.json']);
  assert.equal(result.projects!['apps/web'].targets!['deploy-app'].dependsOn, [{ target: 'push', params: 'forward' }, { target: 'deploy-app', projects: ['api', 'legacy'], params: 'forward' }]);
});

test('parseJsonObject: a valid object', () => {
  assert.equal(parseJsonObject('{ "a": [1, 2] }\n', 'x'), { value: { a: [1, 2] } });
});

test('a broken ferry.json is reported by name', async () => {
  write('ferry.json', '[1,');
  try {
    await infer(['apps/api/deploy.json']);
    assert.unreachable('should have thrown');
  } catch (e) {
    assert.match((e as Error).message, /ferry\.json: invalid JSON at line 1, column 4/);
  }
});

test.run();
