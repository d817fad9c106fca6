// End-to-end acceptance of the deploy pipeline on ferry's own sample workspace (apps/api, apps/web,
// apps/worker, libs/shared) through real Nx: a temporary clone of this repository, a sandbox on free
// ports, the real Docker engine and registry. One story, in order:
//   1. first deploy of all three apps from nothing;  2. a second run changes nothing;
//   3. a libs/shared change ships api and worker only;  4. a broken api fails, is explained and
//   rolled back;  5. rollback --to the first tag without a build, diff exit codes, deploy again;
//   6. --dry-run of the whole chain writes nothing.
// Asserts on the world: services and task definitions (ECS API), tags in ECR, images in the local
// engine, HTTP answers through the sandbox load balancers, and the sandbox's call counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, DescribeTasksCommand, ECSClient, ListServiceDeploymentsCommand, ListTasksCommand, type Service } from '@aws-sdk/client-ecs';
import { ECRClient, ListImagesCommand } from '@aws-sdk/client-ecr';
import { cloneWorkspace, git } from '../libs/ferry/core/src/testing/workspace.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

// Fast sandbox timings (docs/sandbox.md) and a load-balancer port range of our own.
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), 'ferry-e2e-sample-'));
const CLUSTER = 'e2e-sample';
const APPS = ['api', 'web', 'worker'] as const;
type App = (typeof APPS)[number];
const REPO: Record<App, string> = { api: 'ferry-sample/api', web: 'ferry-sample/web', worker: 'ferry-sample/worker' };
const RUN_TIMEOUT_MS = 8 * 60_000;

let sb: Sandbox;
let ws: { root: string; cleanup: () => void };
let ecs: ECSClient;
let ecr: ECRClient;

interface Run {
  code: number;
  out: string;
}

/** Runs a command in the clone (plain output, ANSI stripped); killed with its children after RUN_TIMEOUT_MS. */
function exec(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ws.root,
      detached: true,
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_CACHE_DIRECTORY: join(tmp, 'nx-cache'),
        CI: 'true',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        NODE_NO_WARNINGS: '1',
        DOCKER_CONFIG: join(tmp, 'docker-config'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      out += `\n[e2e] killed after ${RUN_TIMEOUT_MS / 1000}s`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, RUN_TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), out: out.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

/** `nx <args>`; flags after a `--` go to the target's script, so Nx's own flag goes before it. */
function nx(...args: string[]): Promise<Run> {
  const at = args.includes('--') ? args.indexOf('--') : args.length;
  return exec([join(ws.root, 'node_modules', 'nx', 'dist', 'bin', 'nx.js'), ...args.slice(0, at), '--output-style=stream', ...args.slice(at)]);
}
/** A script run directly, for its own exit code (Nx turns every failure into 1 or 130). */
const script = (name: string, ...args: string[]) => exec(['--import', 'tsx', join(ws.root, 'scripts', `${name}.ts`), ...args]);
const show = (r: Run) => `exit ${r.code}\n${r.out.slice(-6000)}`;

function commit(message: string) {
  git(ws.root, 'commit', '-qam', message);
}

/** Content tags of the run, from the summary table's rows (`api  local  deployed  ft-…  api:2 …`) or a dry run's `would push` lines. */
function tagsIn(out: string): Partial<Record<App, string>> {
  const tags: Partial<Record<App, string>> = {};
  for (const m of out.matchAll(/\[(api|web|worker)\] would push \S+:(ft-[0-9a-f]{20})/g)) tags[m[1] as App] = m[2];
  for (const m of out.matchAll(/^(api|web|worker) +\S+ +(?:deployed|up to date|rolled back|failed|done) +(ft-[0-9a-f]{20}) /gm)) tags[m[1] as App] = m[2];
  return tags;
}

async function service(app: App): Promise<Service> {
  const r = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [app], include: ['TAGS'] }));
  assert.ok(r.services?.[0], `service ${app} missing: ${JSON.stringify(r.failures)}`);
  return r.services![0];
}

/** The content tag of the image the service's task definition runs. */
async function liveTag(app: App): Promise<string> {
  const svc = await service(app);
  const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }));
  return td.taskDefinition!.containerDefinitions![0].image!.split(':').pop()!;
}

/** The service's task definition, its deployments (id, status, rollout state) and its live tag. */
async function snapshot(app: App) {
  const svc = await service(app);
  return {
    taskDefinition: svc.taskDefinition!,
    revision: Number(svc.taskDefinition!.split(':').pop()),
    deployments: (svc.deployments ?? []).map((d) => `${d.id} ${d.status} ${d.taskDefinition} ${d.rolloutState}`).join('; '),
    tag: await liveTag(app),
  };
}

async function lbUrl(app: App): Promise<string> {
  const url = (await service(app)).tags?.find((t) => t.key === 'ferry:sandbox-url')?.value;
  assert.ok(url, `service ${app} has no ferry:sandbox-url tag`);
  return url!;
}

/**
 * The page as a real browser renders it: headless Chromium's DOM after the page's scripts ran
 * (`--virtual-time-budget` lets its fetches finish). Needs `chromium` (apt-get install -y chromium).
 */
async function browserDom(url: string): Promise<string> {
  // Asynchronously: the sandbox (and its load balancers) runs in this process and must keep serving.
  return new Promise((resolve, reject) => {
    execFile('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--virtual-time-budget=5000', '--dump-dom', url], { encoding: 'utf8', timeout: 240_000, maxBuffer: 16 << 20 }, (err, stdout) =>
      err ? reject(new Error(`chromium failed (apt-get install -y chromium): ${err.message}`)) : resolve(stdout),
    );
  });
}

/** GET /version through the api's load balancer, several times (the requests spread over its tasks). */
async function apiVersions(times = 4): Promise<Set<string>> {
  const url = await lbUrl('api');
  const seen = new Set<string>();
  for (let i = 0; i < times; i++) {
    const r = await fetch(`${url}/version`, { signal: AbortSignal.timeout(5000) });
    assert.is(r.status, 200);
    const body = (await r.json()) as { service: string; contentTag: string };
    assert.is(body.service, 'api');
    seen.add(body.contentTag);
  }
  return seen;
}

async function ecrTags(app: App): Promise<string[]> {
  const r = await ecr.send(new ListImagesCommand({ repositoryName: REPO[app], filter: { tagStatus: 'TAGGED' } }));
  return (r.imageIds ?? []).map((i) => i.imageTag!).sort();
}

const allEcrTags = async () => Object.fromEntries(await Promise.all(APPS.map(async (a) => [a, await ecrTags(a)])));

/** Images in the local engine named for this sandbox's registry (so this test built them): `id repo:tag`. */
function localImages(): string[] {
  const out = execFileSync('docker', ['image', 'ls', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.split(' ')[1]?.startsWith(`${sb.registryHost}/`)).sort();
}

/** Every counted call that is not a read (Describe/List/Get/BatchGet), and registry uploads. */
function writes(): string[] {
  const s = sb.stats();
  const calls = Object.entries({ ...prefixed('ecs', s.ecs), ...prefixed('ecr', s.ecr) }).filter(([op, n]) => n > 0 && !/^(ecs|ecr)\.(Describe|List|Get|BatchGet)/.test(op));
  const uploads = ['PUT', 'POST', 'PATCH', 'DELETE'].filter((m) => (s.registry[m] ?? 0) > 0).map((m) => `registry.${m}=${s.registry[m]}`);
  return [...calls.map(([op, n]) => `${op}=${n}`), ...uploads];
}
const prefixed = (p: string, o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [`${p}.${k}`, v]));

/** The steps build on each other: after a failure the rest only report that (and save minutes). */
let failedStep = '';
function step(name: string, fn: () => Promise<void>) {
  test(name, async () => {
    if (failedStep) throw new Error(`not run: step "${failedStep}" failed`);
    try {
      await fn();
    } catch (e) {
      failedStep = name;
      throw e;
    }
  });
}

const tag1: Partial<Record<App, string>> = {};
const tag3: Partial<Record<App, string>> = {};
let rev3Api = '';

test.before(async () => {
  sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, lifecycleIntervalMs: 3_600_000, log: () => undefined });
  assert.ok(sb.ecsEnabled, 'the sandbox serves ECS');
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  ecr = new ECRClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  mkdirSync(join(tmp, 'docker-config'), { recursive: true });
  ws = cloneWorkspace(repoRoot);
  git(ws.root, 'config', 'user.email', 'e2e@ferry.invalid');
  git(ws.root, 'config', 'user.name', 'ferry-e2e');
  git(ws.root, 'config', 'commit.gpgsign', 'false');
  // The root .gitignore has `node_modules/`, which does not match the symlink the clone helper makes.
  writeFileSync(join(ws.root, '.git/info/exclude'), 'node_modules\n');
  const file = join(ws.root, 'ferry.json');
  const cfg = JSON.parse(readFileSync(file, 'utf8'));
  Object.assign(cfg.environments.local, { endpoint: sb.endpoint, registry: sb.registryHost, cluster: CLUSTER, buildArgs: { BASE_IMAGE: sb.baseImage } });
  writeFileSync(file, `${JSON.stringify(cfg, null, 2)}\n`);
  commit(`sandbox at ${sb.endpoint}, registry ${sb.registryHost}`);
});

test.after(async () => {
  if (sb) {
    const refs = localImages().map((l) => l.split(' ')[1]);
    await sb.stop({ removeTasks: true }).catch(() => undefined);
    if (refs.length) execFileSync('docker', ['rmi', '-f', ...refs], { stdio: 'ignore' });
  }
  ws?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

step('1. first deploy of api, web and worker from nothing: every service runs the content tag ferry computed', async () => {
  const r = await nx('run-many', '-t', 'deploy', '-c', 'local');
  assert.is(r.code, 0, show(r));
  Object.assign(tag1, tagsIn(r.out));
  for (const app of APPS) {
    assert.match(tag1[app] ?? '', /^ft-[0-9a-f]{20}$/, `${app}: no content tag in the output\n${show(r)}`);
    const svc = await service(app);
    assert.is(svc.status, 'ACTIVE');
    assert.is(svc.deployments!.length, 1, `${app}: ${JSON.stringify(svc.deployments)}`);
    assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
    assert.is(svc.runningCount, svc.desiredCount);
    assert.is(await liveTag(app), tag1[app], `${app} runs the tag build-image computed`);
    assert.equal(await ecrTags(app), [tag1[app]!], `${app}: exactly one image in ECR`);
    assert.match(r.out, new RegExp(`^${app} +local +deployed +${tag1[app]} +${app}:1 `, 'm'), `${app}'s row in the run summary`);
  }
  assert.is(new Set(Object.values(tag1)).size, 3, 'three different images');
  assert.is((await service('api')).runningCount, 2, 'api runs its desiredCount of 2');

  // api: /version through its load balancer names the content tag; web serves its page.
  assert.equal([...(await apiVersions())], [tag1.api]);
  const page = await fetch(`${await lbUrl('web')}/`, { signal: AbortSignal.timeout(5000) });
  assert.is(page.status, 200);
  assert.match(await page.text(), /<title>Ferry fares<\/title>/);
  // web's API_URL is `${app:api.url}` (deploy.json), resolved at deploy time to api's load balancer
  // URL: in a real browser the page lists the routes it fetched from the api.
  const webTd = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: (await service('web')).taskDefinition! }))).taskDefinition!;
  assert.equal(webTd.containerDefinitions![0].environment!.find((e) => e.name === 'API_URL')?.value, await lbUrl('api'));
  const dom = await browserDom(`${await lbUrl('web')}/`);
  assert.match(dom, /<option value="dover-calais">Dover → Calais<\/option>/, dom.slice(0, 2000));

  // worker: no port; its container health check (the heartbeat file) is what ECS judges.
  const { taskArns } = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'worker', desiredStatus: 'RUNNING' }));
  assert.is(taskArns?.length, 1);
  const { tasks } = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: taskArns }));
  assert.is(tasks![0].lastStatus, 'RUNNING');
  assert.is(tasks![0].healthStatus, 'HEALTHY');
  assert.is(tasks![0].containers![0].healthStatus, 'HEALTHY');
});

step('2. a second run is a no-op: no build, no push, no ECS or ECR write', async () => {
  const before = await Promise.all(APPS.map(snapshot));
  const images = localImages();
  sb.resetStats();
  const r = await nx('run-many', '-t', 'deploy', '-c', 'local');
  assert.is(r.code, 0, show(r));
  assert.equal(writes(), [], `write calls in a no-op run:\n${show(r)}`);
  // One process for the run (Nx batch): one DescribeServices for all three services, one task
  // listing for the health checks, no task definition read: at most one ECS read per app.
  const ecsCalls = sb.stats().ecs as Record<string, number>;
  assert.ok((ecsCalls.DescribeServices ?? 0) >= 1, 'it did look at the services');
  assert.ok(Object.values(ecsCalls).reduce((a, b) => a + b, 0) <= APPS.length, `at most one ECS read per app: ${JSON.stringify(ecsCalls)}`);
  assert.is(ecsCalls.DescribeTaskDefinition ?? 0, 0, 'the ferry:spec tag vouches for the live task definitions');
  // Each push ensures its repository; the batch's prefetch described all three in one call (ECR
  // model: DescribeRepositories takes up to 100 repositoryNames), where each push found its own.
  const ecrCalls = sb.stats().ecr as Record<string, number>;
  assert.is(ecrCalls.DescribeRepositories, 1, `one DescribeRepositories for ${APPS.length} repositories: ${JSON.stringify(ecrCalls)}`);
  assert.is(ecrCalls.GetLifecyclePolicy, APPS.length, 'each push still reads its lifecycle policy (ECR has no batch read of it)');
  assert.equal(localImages(), images, 'no image built');
  assert.equal(await Promise.all(APPS.map(snapshot)), before, 'services untouched');
  for (const app of APPS) {
    assert.match(r.out, new RegExp(`\\[${app}\\] build-image: skipped — .*:${tag1[app]} is already in the registry`));
    assert.match(r.out, new RegExp(`\\[${app}\\] deploy-app: ok — up to date: ${app}:1 runs ${tag1[app]}`));
    assert.match(r.out, new RegExp(`\\[${app}\\] checks: ok — ECS ACTIVE`));
    // At most 3 lines of ferry's own per app in a no-op (image, rollout, checks), then the summary.
    const own = r.out.split('\n').filter((l) => l.startsWith(`[${app}] `));
    assert.ok(own.length <= 3, `${app} printed ${own.length} lines:\n${own.join('\n')}`);
    assert.match(r.out, new RegExp(`^${app} +local +up to date +${tag1[app]} `, 'm'));
  }
  assert.not.match(r.out, /\] build-image: building/);
});

step('3. a libs/shared change: nx affected ships exactly api and worker; web is untouched', async () => {
  appendFileSync(join(ws.root, 'libs/shared/src/build-info.ts'), '\n/** Changed by the e2e test: every app that imports @sample/shared must ship again. */\nexport const E2E_SHARED_MARK = 1;\n');
  commit('shared: a change api and worker must ship');
  const before = Object.fromEntries(await Promise.all(APPS.map(async (a) => [a, await snapshot(a)] as const)));
  const images = localImages();
  const web = await ecrTags('web');
  const tokensBefore = sb.stats().ecr.GetAuthorizationToken ?? 0;
  const r = await nx('affected', '-t', 'deploy', '-c', 'local', '--base=HEAD~1');
  assert.is(r.code, 0, show(r));
  // One login for the run, made ahead by the batch's prefetch as soon as the registry said both
  // images were missing, and found made by both pushes (push-image.ts, registryLogins.ahead).
  assert.is((sb.stats().ecr.GetAuthorizationToken ?? 0) - tokensBefore, 1, `one GetAuthorizationToken for two pushes\n${show(r)}`);
  // web's `${app:api.url}` orders its deploy-app after api's (a task-graph edge), not a project-graph
  // edge: api's sources are no input of web, so web is not affected.
  assert.match(r.out, /Running target deploy for 2 projects/);
  assert.not.match(r.out, /nx run web:/, 'no web task ran');
  Object.assign(tag3, tagsIn(r.out));
  for (const app of ['api', 'worker'] as const) {
    assert.ok(tag3[app] && tag3[app] !== tag1[app], `${app} has a new content tag`);
    const now = await snapshot(app);
    assert.ok(now.revision > before[app].revision, `${app}: revision ${before[app].revision} -> ${now.revision}`);
    assert.is(now.tag, tag3[app]);
    assert.equal(await ecrTags(app), [tag1[app]!, tag3[app]!].sort(), `${app}: the new image is in ECR`);
    assert.match(r.out, new RegExp(`\\[${app}\\] build-image: done — built`));
    // Batch mode takes the deploy lock while the image is built and pushed (lock-ahead.ts) and
    // gives it back at the end: no lock tag is left behind.
    assert.match(r.out, new RegExp(`\\[${app}\\] lock: holding the lock of ${app}, taken ahead`));
    assert.not.ok((await service(app)).tags?.some((t) => t.key?.startsWith('ferry:lock')), `${app}: no lock tag left`);
    assert.match((await service(app)).tags?.find((t) => t.key === 'ferry:rollout-ms')?.value ?? '', /^\d+$/, `${app}: the rollout's duration is recorded for the next watch`);
  }
  assert.equal(await snapshot('web'), before.web, 'web: same revision, same deployment');
  assert.equal(await ecrTags('web'), web, 'web: no new image in ECR');
  const added = localImages().filter((l) => !images.includes(l));
  assert.is(added.length, 2, `two images built: ${added.join(', ')}`);
  assert.ok(added.every((l) => !l.includes('/ferry-sample/web:')), 'none of them web');
  assert.equal([...(await apiVersions())], [tag3.api]);
  rev3Api = (await service('api')).taskDefinition!;

  // Both changed apps roll out at the same time: one Nx batch holds both chains (build-image
  // runs the app's build itself instead of depending on it, app-builds.ts), so neither app's
  // chain waits for the other's rollout. The rollout intervals are the service deployments'
  // createdAt -> finishedAt (ListServiceDeployments, ServiceDeploymentBrief in
  // AWS's service models, ecs/service-2.json): the later one started before the earlier ended.
  const rollouts = await Promise.all(
    (['api', 'worker'] as const).map(async (app) => {
      const { serviceDeployments } = await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: app }));
      const latest = [...(serviceDeployments ?? [])].sort((a, b) => +b.createdAt! - +a.createdAt!)[0];
      assert.is(latest.status, 'SUCCESSFUL', `${app}: ${JSON.stringify(latest)}`);
      return { app, from: +latest.createdAt!, to: +latest.finishedAt! };
    }),
  );
  const intervals = rollouts.map((x) => `${x.app} ${new Date(x.from).toISOString()} -> ${new Date(x.to).toISOString()}`).join(', ');
  assert.ok(Math.max(...rollouts.map((x) => x.from)) < Math.min(...rollouts.map((x) => x.to)), `the rollouts of api and worker overlap: ${intervals}\n${show(r)}`);
  // The apps' own builds ran inside ferry's batch (one Nx run of both), not as Nx tasks before it.
  for (const app of ['api', 'worker']) assert.match(r.out, new RegExp(`\\[${app}\\] build: done — ${app}:build ready after [\\d.]+s \\(nx run-many -t build, 2 apps: [\\d.]+s\\)`), `${app}: its build ran before its image build, in one Nx run for both apps\n${show(r)}`);
});

step('4. a broken api fails with the reason printed; the service stays on the previous revision and answers', async () => {
  const main = join(ws.root, 'apps/api/src/main.ts');
  writeFileSync(main, `console.error('e2e: broken on purpose');\nprocess.exit(3);\n${readFileSync(main, 'utf8')}`);
  commit('api: exits at start');
  const web = await snapshot('web');
  const r = await nx('run', 'api:deploy', '-c', 'local');
  assert.is.not(r.code, 0, show(r));
  assert.match(r.out, /EssentialContainerExited: Essential container in task exited \(api exit 3\)/);
  assert.match(r.out, /circuit breaker/);
  assert.match(r.out, /Rolled back: api:\d+ is live again/);
  assert.not.match(r.out, /\[api\] (smoke-test|checks): ok/, 'the chain stopped at deploy-app');
  const svc = await service('api');
  assert.is(svc.taskDefinition, rev3Api, 'the service is back on the step-3 revision');
  // ECS keeps the FAILED deployment beside the new PRIMARY while it drains (ECS-SEMANTICS §2).
  assert.ok(svc.deployments!.slice(1).every((d) => d.rolloutState === 'FAILED' && d.status !== 'PRIMARY'), JSON.stringify(svc.deployments));
  assert.is(svc.deployments![0].status, 'PRIMARY');
  assert.is(svc.deployments![0].taskDefinition, rev3Api);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  assert.equal([...(await apiVersions())], [tag3.api], 'the previous version still answers');
  assert.is((await ecrTags('api')).length, 3, 'the broken image was pushed (and stays for diagnosis)');
  assert.equal(await snapshot('web'), web, 'web untouched');
});

step('5. rollback --to the first tag without a build; diff --exit-code shows the change (exit 2) until a deploy (exit 0)', async () => {
  const images = localImages();
  sb.resetStats();
  const r = await nx('run', 'api:rollback', '-c', 'local', '--', '--to', tag1.api!);
  assert.is(r.code, 0, show(r));
  assert.is(await liveTag('api'), tag1.api);
  assert.equal([...(await apiVersions())], [tag1.api]);
  const s = sb.stats();
  assert.not.ok(s.ecs.RegisterTaskDefinition, 'the old revision is reused');
  assert.is(s.ecs.UpdateService, 1);
  assert.equal(['PUT', 'POST', 'PATCH'].map((m) => s.registry[m] ?? 0), [0, 0, 0], 'nothing pushed');
  assert.equal(localImages(), images, 'nothing built');
  assert.not.match(r.out, /build-image|push:/);

  // Fix the api (revert the breakage): the workspace's content is step 3's again.
  git(ws.root, 'revert', '--no-edit', 'HEAD');
  const diff = await script('diff', '--project=api', '--env=local', '--exit-code');
  assert.is(diff.code, 2, show(diff));
  assert.match(diff.out, new RegExp(`local ${tag3.api}, live ${tag1.api}`));
  assert.match(diff.out, new RegExp(`-\\s+"image": ".*:${tag1.api}"`));
  assert.match(diff.out, new RegExp(`\\+\\s+"image": ".*:${tag3.api}"`));
  // Without --exit-code the diff itself succeeded: the same answer through Nx as through the script.
  const viaNx = await nx('run', 'api:diff', '-c', 'local');
  assert.is(viaNx.code, 0, `through Nx a diff without --exit-code is a succeeded task:\n${show(viaNx)}`);
  assert.match(viaNx.out, /would change \(update\)/);
  const viaNxStrict = await nx('run', 'api:diff', '-c', 'local', '--exit-code');
  assert.is.not(viaNxStrict.code, 0, `through Nx, diff --exit-code with changes is a failed task:\n${show(viaNxStrict)}`);
  assert.match(viaNxStrict.out, /would change \(update\) — exit 2 \(--exit-code\)/);

  sb.resetStats();
  const deploy = await nx('run', 'api:deploy', '-c', 'local');
  assert.is(deploy.code, 0, show(deploy));
  assert.match(deploy.out, /\[api\] build-image: skipped/, 'the step-3 image is reused');
  assert.equal(['PUT', 'POST', 'PATCH'].map((m) => sb.stats().registry[m] ?? 0), [0, 0, 0], 'nothing pushed');
  assert.equal(localImages(), images, 'nothing built');
  assert.is(await liveTag('api'), tag3.api);
  assert.equal([...(await apiVersions())], [tag3.api]);
  const again = await script('diff', '--project=api', '--env=local');
  assert.is(again.code, 0, show(again));
  assert.match(again.out, /up to date/);
});

step('6. --dry-run of the whole chain after a change writes nothing anywhere', async () => {
  appendFileSync(join(ws.root, 'libs/shared/src/build-info.ts'), 'export const E2E_SHARED_MARK_2 = 2;\n');
  const page = join(ws.root, 'apps/web/public/index.html');
  writeFileSync(page, readFileSync(page, 'utf8').replace('<title>Ferry fares</title>', '<title>Ferry fares</title><!-- e2e -->'));
  commit('shared and web: changes to preview');
  const before = await Promise.all(APPS.map(snapshot));
  const tags = await allEcrTags();
  const images = localImages();
  sb.resetStats();
  const r = await nx('run-many', '-t', 'deploy', '-c', 'local', '--dry-run');
  assert.is(r.code, 0, show(r));
  assert.equal(writes(), [], `write calls in a dry run:\n${show(r)}`);
  assert.equal(localImages(), images, 'no image built');
  assert.equal(await allEcrTags(), tags, 'nothing pushed');
  assert.equal(await Promise.all(APPS.map(snapshot)), before, 'services untouched');
  const planned = tagsIn(r.out);
  for (const app of APPS) {
    assert.ok(planned[app] && planned[app] !== tag3[app] && planned[app] !== tag1[app], `${app}: a new content tag to preview`);
    assert.match(r.out, new RegExp(`\\[${app}\\] build-image: ok — dry run: build`));
    assert.match(r.out, new RegExp(`\\[${app}\\] would push .*:${planned[app]}`));
    assert.match(r.out, new RegExp(`\\[${app}\\] deploy-app: ok — dry run: update`));
    const record = join(ws.root, 'apps', app, 'dist/ferry/local/image.json');
    if (existsSync(record)) assert.not.match(readFileSync(record, 'utf8'), planned[app]!, `${app}: image.json not rewritten`);
  }
});

step('7. an api image that fails to build: push and deploy-app never run, the lock taken ahead is given back, nothing changes', async () => {
  const dockerfile = join(ws.root, 'apps/api/Dockerfile');
  writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace('WORKDIR /app', 'WORKDIR /app\nRUN echo "e2e: broken build" && exit 7'));
  commit('api: an image that cannot be built');
  const before = await snapshot('api');
  const tags = await ecrTags('api');
  sb.resetStats();
  const r = await nx('run', 'api:deploy', '-c', 'local');
  assert.is.not(r.code, 0, show(r));
  assert.match(r.out, /\[api\] build-image/);
  assert.not.match(r.out, /\[api\] (push: pushing|register-task-definition)/, 'the chain stopped at build-image');
  assert.equal(await snapshot('api'), before, 'service untouched');
  assert.equal(await ecrTags('api'), tags, 'nothing pushed');
  assert.not.ok((await service('api')).tags?.some((t) => t.key?.startsWith('ferry:lock')), 'no lock tag left');
  // Whether the lock was already written when the build failed is a race; either way it was given back.
  const s = sb.stats().ecs as Record<string, number>;
  assert.is(s.TagResource ?? 0, s.UntagResource ?? 0, `every lock written was removed: ${JSON.stringify(s)}`);
  assert.not.ok(s.UpdateService || s.RegisterTaskDefinition, 'no deploy write');
});

test.run();
