// Integration: ferry arriving in a workspace it has never seen, the way Nx users add tools.
// A foreign layout (services/<x> with docker/Dockerfile, a library three levels deep shared through
// an npm workspace package, /healthz, a base-image arg named NODE_IMAGE, no build targets) installs
// the packed @ferry/nx tarball with npm, runs ferry's generators, starts the sandbox from the
// package's `ferry` bin on ports of its own, and deploys with Nx. Asserts on the world: the ECS
// services and their task definitions, the images, HTTP answers through the sandbox load balancers,
// and the sandbox's call counters (a second run changes nothing).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { git, writeFiles } from '../libs/ferry/core/src/testing/workspace.ts';
import { sandboxAdmin, SANDBOX_CREDENTIALS } from '../tools/sandbox/src/index.ts';
import { FERRY_TARGETS } from '../tools/nx-plugin/src/targets.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * The Nx majors the package's peer range names (tools/nx-plugin/package.json), one foreign workspace
 * each: FERRY_ADOPTION_NX=24.0.7 picks one. Nx 24 hands the batch executor its task dependencies as
 * edges (`{ id }`), Nx 23 as ids. `@nx/js` has no 24 on the registry (its latest is 23.3.1, which pins
 * nx 23.3.1 through @nx/workspace): the Nx 24 workspace has no @nx/js and turns Nx's own import
 * analysis on with `pluginsConfig["@nx/js"]` instead (nx/src/plugins/js/utils/config.js).
 */
const NX_UNDER_TEST: Record<string, { nx: string; devkit: string; nxJs?: string }> = {
  '23': { nx: '23.3.1', devkit: '23.3.1', nxJs: '23.3.1' },
  '24': { nx: '24.0.7', devkit: '24.0.0' },
};
const wanted = process.env.FERRY_ADOPTION_NX;
const major = wanted ? wanted.split('.')[0] : '';
if (wanted && !NX_UNDER_TEST[major]) throw new Error(`FERRY_ADOPTION_NX=${wanted}: known ${Object.keys(NX_UNDER_TEST).join(', ')}`);
const NX = NX_UNDER_TEST[major] ?? NX_UNDER_TEST['23'];
const tmp = mkdtempSync(join(tmpdir(), `ferry-adoption-nx${NX.nx.split('.')[0]}-`));
const ws = join(tmp, 'acme');
const APPS = ['orders', 'billing', 'notify'] as const;
const CLUSTER = 'ferry-local';
let apiPort = 0;
let registryPort = 0;
let ecs: ECSClient;
let sandboxStarted = false;
const log: string[] = [];

// Fast sandbox timings (docs/sandbox.md) and a load-balancer range of our own; inherited by the
// sandbox server that `ferry sandbox up` spawns.
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  NX_CACHE_DIRECTORY: join(tmp, 'nx-cache'),
  NO_COLOR: '1',
  FORCE_COLOR: '0',
  CI: 'true',
  FERRY_SANDBOX_NOHC_GRACE_MS: '1000',
  FERRY_SANDBOX_TICK_MS: '200',
  FERRY_SANDBOX_STOP_TIMEOUT_S: '5',
  npm_config_update_notifier: 'false',
};
delete env.FERRY_SANDBOX_DIR;
delete env.FERRY_SANDBOX_PORT;
delete env.FERRY_SANDBOX_REGISTRY_PORT;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  code: number;
  out: string;
}

/** Runs a command in the foreign workspace (argument array, no shell). */
function run(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd: opts.cwd ?? ws, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGTERM'), opts.timeoutMs ?? 240_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      log.push(`$ ${cmd} ${args.join(' ')}\n${out}`);
      if (process.env.FERRY_TEST_TIMINGS) console.error(`${((Date.now() - started) / 1000).toFixed(1)}s  ${cmd.split('/').pop()} ${args.join(' ')}`);
      resolve({ code: code ?? 1, out });
    });
  });
}

const npx = (...args: string[]) => run(join(ws, 'node_modules', '.bin', args[0]), args.slice(1));
const show = (r: Run) => `exit ${r.code}\n${r.out.slice(-5000)}`;

/** An HTTP service on $PORT (the sandbox convention) with /healthz; imports @acme/money when asked. */
function service(name: string, opts: { money: boolean; defaultPort: number; healthStatus?: number }): string {
  return `import http from 'node:http';
${opts.money ? "import { formatCents } from '@acme/money';\n" : ''}const port = Number(process.env.PORT ?? ${opts.defaultPort});
const server = http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(${opts.healthStatus ?? 200}); res.end(); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ service: '${name}'${opts.money ? ', total: formatCents(1250)' : ''} }));
});
server.listen(port);
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 300).unref(); });
`;
}

const dockerfile = (app: string, arg: string, withMoney: boolean, expose?: number) =>
  [
    `ARG ${arg}=node:20-slim`,
    `FROM \${${arg}}`,
    'WORKDIR /app',
    ...(withMoney ? ['COPY packages/core/util/money /app/node_modules/@acme/money'] : []),
    `COPY services/${app}/src /app/src`,
    ...(expose ? [`EXPOSE ${expose}`] : []),
    'CMD ["node", "src/main.mjs"]',
    '',
  ].join('\n');

function foreignWorkspace(tarball: string): void {
  writeFiles(ws, {
    'package.json': {
      name: 'acme-platform',
      private: true,
      workspaces: ['packages/core/util/*'],
      // typescript: Nx's import analysis needs it, also for plain .mjs sources.
      devDependencies: { '@ferry/nx': `file:${tarball}`, nx: NX.nx, ...(NX.nxJs ? { '@nx/js': NX.nxJs } : {}), '@nx/devkit': NX.devkit, typescript: '5.9.3' },
    },
    'nx.json': {
      $schema: './node_modules/nx/schemas/nx-schema.json',
      defaultBase: 'main',
      ...(NX.nxJs ? { plugins: [{ plugin: '@nx/js', options: { analyzeSourceFiles: true } }] } : { plugins: [], pluginsConfig: { '@nx/js': { analyzeSourceFiles: true } } }),
    },
    '.gitignore': 'node_modules\n.nx\n',
    // The services' build context is the workspace root (they COPY the money library): keep the
    // rest out of what the engine receives.
    '.dockerignore': 'node_modules\n.git\n.nx\n.ferry\n**/dist\n',
    'packages/core/util/money/package.json': { name: '@acme/money', version: '1.0.0', type: 'module', exports: './index.mjs' },
    'packages/core/util/money/index.mjs': "export const formatCents = (cents) => `EUR ${(cents / 100).toFixed(2)}`;\n",
    'services/orders/project.json': { name: 'orders', projectType: 'application' },
    'services/orders/docker/Dockerfile': dockerfile('orders', 'NODE_IMAGE', true),
    'services/orders/src/main.mjs': service('orders', { money: true, defaultPort: 8081 }),
    'services/billing/project.json': { name: 'billing', projectType: 'application' },
    'services/billing/docker/Dockerfile': dockerfile('billing', 'BASE_IMAGE', true, 8082),
    'services/billing/src/main.mjs': service('billing', { money: true, defaultPort: 8082, healthStatus: 204 }),
    'services/notify/project.json': { name: 'notify', projectType: 'application' },
    'services/notify/docker/Dockerfile': dockerfile('notify', 'NODE_IMAGE', false),
    'services/notify/src/main.mjs': service('notify', { money: false, defaultPort: 8083 }),
  });
}

async function describe(app: string) {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [app], include: ['TAGS'] }));
  const svc = out.services?.[0];
  assert.ok(svc, `service ${app} exists`);
  const td = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }))).taskDefinition!;
  const url = svc.tags?.find((t) => t.key === 'ferry:sandbox-url')?.value;
  return { taskDefinition: svc.taskDefinition!, image: td.containerDefinitions![0].image!, url: url!, status: svc.status };
}

async function getJson(url: string): Promise<any> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  assert.is(res.status, 200, url);
  return res.json();
}

test.before(async () => {
  apiPort = await freePort();
  registryPort = await freePort();
  ecs = new ECSClient({ endpoint: `http://127.0.0.1:${apiPort}`, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
});

test.after(async () => {
  if (sandboxStarted || existsSync(join(ws, '.ferry', 'sandbox'))) {
    const down = await run(join(ws, 'node_modules', '.bin', 'ferry'), ['sandbox', 'down', '--port', String(apiPort), '--registry-port', String(registryPort)]).catch(() => undefined);
    if (down && down.code !== 0) console.error(show(down));
  }
  // Images this test built (tagged for its registry port) and any task container left behind.
  try {
    const refs = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=127.0.0.1:${registryPort}/*`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    if (refs.length) spawnSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
  } catch {
    // the engine is gone: nothing to clean there
  }
  ecs?.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

test('the packed package installs into a foreign workspace with npm', async () => {
  // Built into this suite's own folder: the suite of the other Nx major may build at the same time.
  const built = await run(process.execPath, [join(repoRoot, 'tools/package/build.mjs'), '--out', join(tmp, 'package')], { cwd: repoRoot });
  assert.is(built.code, 0, show(built));
  const packed = built.out.trim().split('\n').pop()!;
  assert.match(packed, /ferry-nx-\d+\.\d+\.\d+\.tgz$/);
  foreignWorkspace(packed);
  const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { timeoutMs: 300_000 });
  assert.is(install.code, 0, show(install));
  // Really installed from the tarball: a copy in node_modules, plain JavaScript, no tsx needed.
  const pkgDir = join(ws, 'node_modules', '@ferry', 'nx');
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  assert.is(manifest.name, '@ferry/nx');
  assert.is(manifest.version, JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version);
  assert.ok(!existsSync(join(ws, 'node_modules', 'tsx')), 'the workspace has no tsx');
  assert.ok(!readdirSync(join(pkgDir, 'dist')).some((f) => f.endsWith('.ts')), 'no TypeScript in the package');
  assert.is(JSON.parse(readFileSync(join(ws, 'node_modules', 'nx', 'package.json'), 'utf8')).version, NX.nx, 'the Nx under test');
  git(ws, 'init', '-q', '-b', 'main');
  git(ws, 'config', 'commit.gpgsign', 'false');
});

test('init and app generators configure the workspace from its own files; re-running changes nothing', async () => {
  const init = await npx('nx', 'g', '@ferry/nx:init', `--sandboxPort=${apiPort}`, `--registryPort=${registryPort}`, '--no-interactive');
  assert.is(init.code, 0, show(init));
  const nxJson = JSON.parse(readFileSync(join(ws, 'nx.json'), 'utf8'));
  assert.ok(nxJson.plugins.includes('@ferry/nx'), JSON.stringify(nxJson.plugins));
  const ferry = JSON.parse(readFileSync(join(ws, 'ferry.json'), 'utf8'));
  assert.is(ferry.environments.local.endpoint, `http://127.0.0.1:${apiPort}`);
  assert.is(ferry.environments.local.registry, `127.0.0.1:${registryPort}`);
  assert.ok(ferry._examples.prod, 'examples for AWS environments');
  assert.match(readFileSync(join(ws, '.gitignore'), 'utf8'), /^\.ferry\/$/m);

  for (const app of APPS) {
    const r = await npx('nx', 'g', '@ferry/nx:app', app, '--no-interactive');
    assert.is(r.code, 0, show(r));
  }
  const deploy = (app: string) => JSON.parse(readFileSync(join(ws, 'services', app, 'deploy.json'), 'utf8'));
  const schema = '../../node_modules/@ferry/nx/schema/deploy.schema.json';
  assert.equal(deploy('orders'), {
    $schema: schema,
    dockerfile: 'docker/Dockerfile',
    context: '../..',
    containerPort: 8081,
    healthCheckPath: '/healthz',
    // The images run node: a container health check through node's fetch, and an init process.
    containerHealthCheck: deploy('orders').containerHealthCheck,
    initProcessEnabled: true,
    environments: { local: { buildArgs: { NODE_IMAGE: 'ferry-sandbox/node:20' } } },
  });
  assert.equal(deploy('orders').containerHealthCheck.command.slice(0, 3), ['CMD', 'node', '-e']);
  // BASE_IMAGE is what the local environment supplies already; billing's /healthz answers 204
  // (res.writeHead(204) in its source), so its health status and container check expect 204.
  assert.equal(deploy('billing'), {
    $schema: schema,
    dockerfile: 'docker/Dockerfile',
    context: '../..',
    containerPort: 8082,
    healthCheckPath: '/healthz',
    healthCheckStatus: 204,
    containerHealthCheck: deploy('billing').containerHealthCheck,
    initProcessEnabled: true,
  });
  assert.match(deploy('billing').containerHealthCheck.command[3], /r\.status===204/);
  assert.is(deploy('notify').containerPort, 8083);

  // A person finishes the job: fewer revisions kept.
  writeFileSync(join(ws, 'services/billing/deploy.json'), JSON.stringify({ ...deploy('billing'), keepRevisions: 3 }, null, 2));
  const edited = APPS.map((a) => readFileSync(join(ws, 'services', a, 'deploy.json'), 'utf8'));
  const nxBefore = readFileSync(join(ws, 'nx.json'), 'utf8');
  const again = await npx('nx', 'g', '@ferry/nx:init', '--no-interactive');
  assert.is(again.code, 0, show(again));
  for (const app of ['orders', 'billing']) assert.is((await npx('nx', 'g', '@ferry/nx:app', app, '--no-interactive')).code, 0);
  assert.equal(APPS.map((a) => readFileSync(join(ws, 'services', a, 'deploy.json'), 'utf8')), edited);
  assert.is(readFileSync(join(ws, 'nx.json'), 'utf8'), nxBefore);

  git(ws, 'add', '-A');
  git(ws, 'commit', '-q', '-m', 'acme platform with ferry');
  assert.is(git(ws, 'status', '--porcelain'), '', 'generators leave nothing untracked after the commit');
});

test('Nx infers the targets from the package and sees the deep library under both services', async () => {
  const graphFile = join(tmp, 'graph.json');
  const g = await npx('nx', 'graph', `--file=${graphFile}`);
  assert.is(g.code, 0, show(g));
  const graph = JSON.parse(readFileSync(graphFile, 'utf8')).graph;
  for (const app of APPS) {
    const targets = graph.nodes[app].data.targets;
    assert.equal(Object.keys(targets).sort(), [...FERRY_TARGETS].sort());
    assert.is(targets.deploy.executor, '@ferry/nx:script');
    assert.equal(Object.keys(targets.deploy.configurations), ['local']);
  }
  assert.not.ok(graph.nodes['@acme/money'].data.targets?.deploy, 'the library has no deploy.json, so no deploy targets');
  const deps = graph.dependencies as Record<string, { target: string }[]>;
  const on = (p: string) => (deps[p] ?? []).map((d) => d.target);
  assert.ok(on('orders').includes('@acme/money'), JSON.stringify(deps.orders));
  assert.ok(on('billing').includes('@acme/money'), JSON.stringify(deps.billing));
  assert.not.ok(on('notify').includes('@acme/money'));
});

test('the sandbox starts from the package on ports of its own, with its data in .ferry/sandbox', async () => {
  const up = await npx('ferry', 'sandbox', 'up', '--port', String(apiPort), '--registry-port', String(registryPort));
  sandboxStarted = up.code === 0;
  assert.is(up.code, 0, show(up));
  assert.ok(existsSync(join(ws, '.ferry', 'sandbox', 'sandbox.json')));
  const health = await sandboxAdmin(`http://127.0.0.1:${apiPort}`).health();
  assert.is(health.ok, true);
  assert.is(health.registry, `127.0.0.1:${registryPort}`);
});

const revisions = new Map<string, string>();

test('nx run-many -t deploy deploys every service; each answers through its load balancer', async () => {
  const r = await npx('nx', 'run-many', '-t', 'deploy', '-c', 'local', '--output-style=stream', '--parallel=3');
  assert.is(r.code, 0, show(r));
  for (const app of APPS) {
    const live = await describe(app);
    assert.is(live.status, 'ACTIVE');
    assert.match(live.image, new RegExp(`^127\\.0\\.0\\.1:${registryPort}/${app}:ft-[0-9a-f]{20}$`));
    revisions.set(app, live.taskDefinition);
    const body = await getJson(`${live.url}/`);
    assert.is(body.service, app);
    if (app !== 'notify') assert.is(body.total, 'EUR 12.50');
  }
  const billingHealth = await fetch(`${(await describe('billing')).url}/healthz`);
  assert.is(billingHealth.status, 204);
});

test('a change in the deep library redeploys exactly the services importing it', async () => {
  writeFileSync(join(ws, 'packages/core/util/money/index.mjs'), "export const formatCents = (cents) => `${(cents / 100).toFixed(2)} EUR`;\n");
  git(ws, 'commit', '-q', '-am', 'money: amount before currency');
  const affected = await npx('nx', 'show', 'projects', '--affected', '--base=HEAD~1', '--head=HEAD', '--json');
  assert.equal(JSON.parse(affected.out.slice(affected.out.indexOf('['))).filter((p: string) => !p.startsWith('@')).sort(), ['billing', 'orders']);

  const r = await npx('nx', 'affected', '-t', 'deploy', '-c', 'local', '--base=HEAD~1', '--head=HEAD', '--output-style=stream');
  assert.is(r.code, 0, show(r));
  assert.not.match(r.out, /notify:/, 'notify is not part of the affected run');
  for (const app of ['orders', 'billing']) {
    const live = await describe(app);
    assert.is.not(live.taskDefinition, revisions.get(app), `${app} got a new revision`);
    assert.is((await getJson(`${live.url}/`)).total, '12.50 EUR');
    revisions.set(app, live.taskDefinition);
  }
  assert.is((await describe('notify')).taskDefinition, revisions.get('notify'));
});

test('running it again is a no-op: no image pushed, no task definition registered, no service updated', async () => {
  const admin = sandboxAdmin(`http://127.0.0.1:${apiPort}`);
  await admin.resetStats();
  const r = await npx('nx', 'affected', '-t', 'deploy', '-c', 'local', '--base=HEAD~1', '--head=HEAD', '--output-style=stream');
  assert.is(r.code, 0, show(r));
  const stats = (await admin.stats()) as { ecs: Record<string, number>; registry: Record<string, number> };
  assert.is(stats.registry.PUT ?? 0, 0, JSON.stringify(stats));
  assert.is(stats.registry.PATCH ?? 0, 0, JSON.stringify(stats));
  assert.is(stats.ecs.RegisterTaskDefinition ?? 0, 0, JSON.stringify(stats));
  assert.is(stats.ecs.UpdateService ?? 0, 0, JSON.stringify(stats));
  for (const app of ['orders', 'billing']) assert.is((await describe(app)).taskDefinition, revisions.get(app));
});

test('ferry sandbox down stops the server and removes its task containers', async () => {
  const down = await npx('ferry', 'sandbox', 'down', '--port', String(apiPort), '--registry-port', String(registryPort));
  assert.is(down.code, 0, show(down));
  sandboxStarted = false;
  const label = `ferry.sandbox=${readFileSync(join(ws, '.ferry', 'sandbox', 'instance-id'), 'utf8').trim()}`;
  assert.is(execFileSync('docker', ['ps', '-aq', '--filter', `label=${label}`], { encoding: 'utf8' }).trim(), '');
  const status = await npx('ferry', 'sandbox', 'status', '--port', String(apiPort), '--registry-port', String(registryPort));
  assert.is(status.code, 3, show(status));
  // Messages name the installed package's command, not this repository's npm scripts.
  assert.match(status.out, /start it with npx ferry sandbox up/);
  assert.not.match(status.out, /npm run sandbox/);
});

test.run();
