import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { addProjectConfiguration, readJson, readNxJson, updateNxJson, writeJson, type Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from 'nx/src/devkit-testing-exports';
import initGenerator, { analysesImports, GITIGNORE_LINES } from './init.ts';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import appGenerator from './app.ts';
import { PLUGIN_ENTRY } from '../mode.ts';

function foreignWorkspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  addProjectConfiguration(tree, 'orders', { root: 'services/orders', projectType: 'application' });
  tree.write('services/orders/docker/Dockerfile', 'ARG NODE_IMAGE=node:20-slim\nFROM ${NODE_IMAGE}\nWORKDIR /app\nCOPY services/orders/src ./src\nCOPY packages/core/util/money ./node_modules/@acme/money\nCMD ["node", "src/main.mjs"]\n');
  tree.write('services/orders/src/main.mjs', "import { money } from '@acme/money';\nconst port = Number(process.env.PORT ?? 8081);\n// routes: '/healthz', '/orders'\nif (url === '/healthz') ok();\n");
  tree.write('services/orders/src/main.test.mjs', "fetch('/health')\n");
  addProjectConfiguration(tree, 'billing', { root: 'services/billing', projectType: 'application' });
  tree.write('services/billing/Dockerfile', 'FROM node:20\nCOPY src /app/src\nEXPOSE 9090\n');
  tree.write('services/billing/src/main.mjs', "app.get('/health', h)\n");
  addProjectConfiguration(tree, 'worker', { root: 'services/worker', projectType: 'application' });
  tree.write('services/worker/Dockerfile', 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY main.mjs /app/\n');
  tree.write('services/worker/main.mjs', 'setInterval(tick, 1000)\n');
  tree.write('packages/core/util/money/index.mjs', 'export const money = 1;\n');
  tree.write('.gitignore', 'node_modules\n');
  return tree;
}

test('the .gitignore lines cover the records under every project, as git reads them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-gitignore-'));
  try {
    execFileSync('git', ['init', '-q', dir]);
    writeFileSync(join(dir, '.gitignore'), `${GITIGNORE_LINES.join('\n')}\n`);
    const table: [string, boolean][] = [
      ['services/orders/dist/ferry/local/image.json', true],
      ['apps/api/dist/ferry/prod/image.json', true],
      ['dist/ferry/local/image.json', true],
      ['.ferry/sandbox/sandbox.json', true],
      ['services/orders/dist/main.js', false],
      ['services/orders/src/main.mjs', false],
    ];
    for (const [path, ignored] of table) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), '{}');
      const r = (() => {
        try {
          execFileSync('git', ['-C', dir, 'check-ignore', '-q', path]);
          return true;
        } catch {
          return false;
        }
      })();
      assert.is(r, ignored, path);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('analysesImports: the @nx/js plugin or pluginsConfig["@nx/js"].analyzeSourceFiles', () => {
  const table: [string, Parameters<typeof analysesImports>[0], boolean][] = [
    ['nothing', {}, false],
    ['the plugin by name', { plugins: ['@nx/js'] }, true],
    ['the plugin with options', { plugins: [{ plugin: '@nx/js', options: { analyzeSourceFiles: true } }] }, true],
    ['@nx/js/typescript', { plugins: ['@nx/js/typescript'] }, true],
    ['pluginsConfig on', { pluginsConfig: { '@nx/js': { analyzeSourceFiles: true } } }, true],
    ['pluginsConfig off', { pluginsConfig: { '@nx/js': { analyzeSourceFiles: false } } }, false],
    // Nx defaults it on when the entry exists (nx/src/plugins/js/utils/config.js).
    ['pluginsConfig without the flag', { pluginsConfig: { '@nx/js': {} } }, true],
    ['another plugin', { plugins: ['@ferry/nx'] }, false],
  ];
  for (const [what, nxJson, expected] of table) assert.is(analysesImports(nxJson), expected, what);
});

test('init registers the plugin, writes ferry.json with local and _examples, ignores ferry files; re-run changes nothing', async () => {
  const tree = foreignWorkspace();
  await initGenerator(tree, { sandboxPort: 4999, registryPort: 5999 });
  assert.ok((readNxJson(tree)?.plugins ?? []).includes(PLUGIN_ENTRY));
  const ferry = readJson(tree, 'ferry.json');
  assert.is(ferry.defaultEnvironment, 'local');
  assert.equal(Object.keys(ferry.environments), ['local']);
  assert.is(ferry.environments.local.kind, 'sandbox');
  assert.is(ferry.environments.local.endpoint, 'http://127.0.0.1:4999');
  assert.is(ferry.environments.local.registry, '127.0.0.1:5999');
  assert.equal(Object.keys(ferry._examples).sort(), ['prod', 'staging']);
  assert.match(tree.read('.gitignore', 'utf-8')!, /^node_modules\n# ferry.*\n\.ferry\/\n\*\*\/dist\/ferry\/\n$/);

  // A person edits: a staging environment, the plugin with options.
  ferry.environments.staging = ferry._examples.staging;
  writeJson(tree, 'ferry.json', ferry);
  const nx = readNxJson(tree)!;
  nx.plugins = (nx.plugins ?? []).map((p) => (p === PLUGIN_ENTRY ? { plugin: PLUGIN_ENTRY, options: { scriptsDir: 'ops' } } : p));
  updateNxJson(tree, nx);
  const before = new Map(tree.listChanges().map((c) => [c.path, c.content?.toString()]));
  await initGenerator(tree, {});
  const after = new Map(tree.listChanges().map((c) => [c.path, c.content?.toString()]));
  assert.equal(after, before);
});

test('app infers Dockerfile, workspace context, PORT default, /healthz and the base-image arg per sandbox environment', async () => {
  const tree = foreignWorkspace();
  await initGenerator(tree, {});
  await appGenerator(tree, { project: 'orders' });
  const deploy = readJson(tree, 'services/orders/deploy.json');
  assert.equal(deploy, {
    $schema: deploy.$schema,
    dockerfile: 'docker/Dockerfile',
    context: '../..',
    containerPort: 8081,
    healthCheckPath: '/healthz',
    // The image runs node: the container health check probes /healthz with node's own fetch.
    containerHealthCheck: deploy.containerHealthCheck,
    initProcessEnabled: true,
    environments: { local: { buildArgs: { NODE_IMAGE: 'ferry-sandbox/node:20' } } },
  });
  assert.equal(deploy.containerHealthCheck.command.slice(0, 3), ['CMD', 'node', '-e']);
  assert.match(deploy.containerHealthCheck.command[3], /\|\|8081\)\+'\/healthz'/);
  assert.match(deploy.$schema, /^\.\.\/\.\.\/.*deploy\.schema\.json$/);

  await appGenerator(tree, { project: 'billing' });
  const billing = readJson(tree, 'services/billing/deploy.json');
  assert.equal(billing, { $schema: deploy.$schema, containerPort: 9090, healthCheckPath: '/health', containerHealthCheck: billing.containerHealthCheck, initProcessEnabled: true });
  assert.match(billing.containerHealthCheck.command[3], /\|\|9090\)\+'\/health'/);

  // BASE_IMAGE comes from the local environment already; a worker gets no port and no health path.
  await appGenerator(tree, { project: 'services/worker' });
  assert.equal(readJson(tree, 'services/worker/deploy.json'), { $schema: deploy.$schema });
});

test('app re-run keeps what a person edited and adds only missing fields', async () => {
  const tree = foreignWorkspace();
  tree.write('services/orders/deploy.json', JSON.stringify({ containerPort: 7000, healthCheckPath: '/ready', desiredCount: 2 }));
  await appGenerator(tree, { project: 'orders' });
  const first = readJson(tree, 'services/orders/deploy.json');
  assert.is(first.containerPort, 7000);
  assert.is(first.healthCheckPath, '/ready');
  assert.is(first.desiredCount, 2);
  assert.is(first.dockerfile, 'docker/Dockerfile');
  const text = tree.read('services/orders/deploy.json', 'utf-8');
  await appGenerator(tree, { project: 'orders' });
  assert.is(tree.read('services/orders/deploy.json', 'utf-8'), text);
});

test('app names an unknown project and the known ones', async () => {
  const tree = foreignWorkspace();
  try {
    await appGenerator(tree, { project: 'nope' });
    assert.unreachable('should throw');
  } catch (e) {
    assert.match((e as Error).message, /no project "nope".*known: billing, orders, worker/);
  }
});

test.run();
