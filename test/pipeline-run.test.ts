// Integration: one-off tasks as real CLI runs in a temporary Nx workspace against a real sandbox —
// `run` (exit codes passed on, output streamed, --timeout and Ctrl-C stop the task) and a deploy's
// `migrate` (runs before any service change only when the content tag changes; a failure leaves the
// service on its previous revision; rollback past a successful migration needs --force).
// ECS behaviour relied on: ECS-SEMANTICS §3 (stopCode EssentialContainerExited / UserInitiated,
// containers[].exitCode, STOPPED tasks listed with desiredStatus STOPPED and startedBy).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type Service, type Task } from '@aws-sdk/client-ecs';
import { ScriptRunner } from './script-runner.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

// Fast sandbox timings (docs/sandbox.md); a load-balancer port range of our own.
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-pipeline-run-'));
const ws = join(tmp, 'ws');
const CLUSTER = `run-it-${process.pid}`;
const APP = 'hello';
const REPO = `run-it-${process.pid}/hello`;
let sb: Sandbox;
let ecs: ECSClient;

const server = (version: string, crash = false) => `const VERSION = ${JSON.stringify(version)};
${crash ? "console.error('boom: cannot start'); process.exit(3);\n" : ''}const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.end('ok'); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, version: VERSION, greeting: process.env.GREETING }));
});
server.listen(Number(process.env.PORT || 8080), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); });
`;

function deployJson(over: Record<string, unknown> = {}) {
  return JSON.stringify(
    {
      repository: REPO,
      containerPort: 8080,
      desiredCount: 1,
      healthCheckPath: '/health',
      environment: { GREETING: 'hi' },
      smoke: { checks: [{ name: 'version', path: '/version', jsonEquals: { ok: true, greeting: 'hi' }, maxLatencyMs: 5000 }] },
      deployment: { timeoutSeconds: 120, circuitBreaker: { enable: true, rollback: true } },
      keepRevisions: 3,
      ...over,
    },
    null,
    2,
  );
}

const runner = new ScriptRunner({ ws, tmp, project: APP, reuseGraph: true });
const commit = (files: Record<string, string>, message: string) => runner.commit(files, message);
const runWith = (name: string, args: string[], interruptWhen?: RegExp) => runner.run(name, args, { interruptWhen, killAfterMs: 180000 });
const run = (name: string, ...args: string[]) => runWith(name, args);
const must = (name: string, ...args: string[]) => runner.must(name, ...args);
const buildAndPush = () => runner.buildAndPush();

async function describe(): Promise<Service> {
  const r = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [APP], include: ['TAGS'] }));
  assert.ok(r.services?.[0], `service missing: ${JSON.stringify(r.failures)}`);
  return r.services![0];
}

const lbUrl = async () => (await describe()).tags!.find((t) => t.key === 'ferry:sandbox-url')!.value!;

async function version(): Promise<string> {
  const r = await fetch(`${await lbUrl()}/version`, { signal: AbortSignal.timeout(5000) });
  assert.is(r.status, 200);
  return ((await r.json()) as { version: string }).version;
}

const HELLO = `node -e "console.log(\\"hello from a task\\"); process.exit(4)"`;
const SLEEPER = `node -e "console.log('sleeping'); setInterval(() => {}, 1000)"`;
const migration = (exit: number, text: string) => `node -e "console.log('${text}'); process.exit(${exit})"`;

let tagV1 = '';
let tagV2 = '';

test.before(async () => {
  sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  runner.scaffold('pipeline-run-it', sb, CLUSTER);
  commit({ [`apps/${APP}/deploy.json`]: deployJson(), [`apps/${APP}/server.js`]: server('v1') }, 'v1');
});

test.after(async () => {
  await sb?.stop({ removeTasks: true }).catch(() => undefined);
  if (sb) {
    const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => r.startsWith(`${sb.registryHost}/`));
    if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** The standalone tasks `startedBy` started that have STOPPED, newest first. */
async function stoppedTasks(startedBy: string): Promise<Task[]> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED', startedBy }))).taskArns ?? [];
  if (!arns.length) return [];
  const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? [];
  return tasks.sort((a, b) => (b.createdAt?.valueOf() ?? 0) - (a.createdAt?.valueOf() ?? 0));
}

const serviceExists = async () => ((await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [APP] }))).services ?? []).some((s) => s.status === 'ACTIVE');

test('run before the image was pushed: refused, naming push', async () => {
  const r = await run('run', '--command', HELLO);
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /is not in ECR, and a one-off task runs an image from the registry\. Build and push it first \(nx run hello:push -c local\)/);
});

test('run: the task prints its line, exit code 4 is passed on; with exit 0 it succeeds; no service is created', async () => {
  tagV1 = await buildAndPush();
  const dry = await must('run', '--dry-run', '--command', HELLO);
  assert.match(dry, /RunTask \{/);
  const r = await run('run', '--command', HELLO);
  assert.is(r.code, 4, r.out);
  assert.match(r.out, /hello from a task/);
  assert.match(r.out, /exited with code 4/);
  const [t] = await stoppedTasks('ferry-run');
  assert.is(t.stopCode, 'EssentialContainerExited');
  assert.is(t.containers![0].exitCode, 4);
  assert.match(t.group!, /^family:/);
  const ok = await must('run', '--command', '["node", "-e", "console.log(process.env.GREETING + \' \' + process.env.EXTRA)"]', '--set-env', 'EXTRA=there');
  assert.match(ok, /hi there/, 'the service environment plus --set-env');
  assert.match(ok, /exited with code 0/);
  assert.not.ok(await serviceExists(), 'run never creates the service');
});

test('run --timeout: ferry stops the task (UserInitiated) and exits 124 with the last lines', async () => {
  const r = await run('run', '--timeout', '2', '--command', SLEEPER);
  assert.is(r.code, 124, r.out);
  assert.match(r.out, /stopped by ferry at the timeout/);
  assert.match(r.out, /\| sleeping/);
  const [t] = await stoppedTasks('ferry-run');
  assert.is(t.stopCode, 'UserInitiated');
  assert.match(t.stoppedReason!, /--timeout of 2 s/);
});

test('run, then Ctrl-C: the task is stopped (UserInitiated) and ferry exits 130', async () => {
  const r = await runWith('run', ['--command', SLEEPER], /sleeping/);
  assert.is(r.code, 130, r.out);
  assert.match(r.out, /stopping task \S+: interrupted/);
  const [t] = await stoppedTasks('ferry-run');
  assert.is(t.stopCode, 'UserInitiated');
  assert.match(t.stoppedReason!, /interrupted \(Ctrl-C\)/);
});

test('migrate: the first deploy migrates before the service is created; a no-op does not run it', async () => {
  commit({ [`apps/${APP}/deploy.json`]: deployJson({ migrate: migration(0, 'migrating to v1') }) }, 'migrate v1');
  const out = await must('deploy-app');
  assert.match(out, /migrate \| migrating to v1/);
  assert.ok(out.indexOf('migrating to v1') < out.indexOf('COMPLETED'), 'the migration ran before the rollout');
  assert.is(await version(), 'v1');
  assert.is((await stoppedTasks('ferry-migrate')).length, 1);
  sb.resetStats();
  const again = await must('deploy-app');
  assert.match(again, /up to date/);
  assert.not.ok(sb.stats().ecs.RunTask, 'no migration on a no-op');
  const history = await must('history');
  assert.match(history, /exit 0 in \S+ s by \S+: node -e/);
});

test('a failing migration stops the deploy before any service change, with its output; the old revision keeps running', async () => {
  const before = (await describe()).taskDefinition;
  commit({ [`apps/${APP}/deploy.json`]: deployJson({ migrate: migration(3, 'migration failed: column exists') }), [`apps/${APP}/server.js`]: server('v2') }, 'v2 with a bad migration');
  tagV2 = await buildAndPush();
  assert.is.not(tagV2, tagV1);
  sb.resetStats();
  const r = await run('deploy-app');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /the migration \(node -e .*\) exited with code 3/);
  assert.match(r.out, /the deploy stopped before any service change: hello still runs/);
  assert.match(r.out, /\| migration failed: column exists/);
  assert.not.ok(sb.stats().ecs.UpdateService, 'no UpdateService');
  assert.is((await describe()).taskDefinition, before);
  assert.is(await version(), 'v1');
  const history = await must('history');
  assert.match(history, /migration-failed/);
  assert.match(history, /exit 3 in/);
});

test('a fixed migration runs once for the new tag and the deploy goes on; rollback past it needs --force', async () => {
  commit({ [`apps/${APP}/deploy.json`]: deployJson({ migrate: migration(0, 'migrating to v2') }) }, 'v2 migration fixed');
  const out = await must('deploy-app');
  assert.match(out, /migrate \| migrating to v2/);
  assert.is(await version(), 'v2');
  const refused = await run('rollback', '--to', tagV1);
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, /is older than hello:\d+, whose migration \(node -e .*\) succeeded .*--force/);
  assert.is(await version(), 'v2', 'nothing changed');
  const forced = await must('rollback', '--to', tagV1, '--force');
  assert.match(forced, /rolling back anyway \(--force\)/);
  assert.is(await version(), 'v1');
});

test('logs: every task of the app, each line prefixed by its task; --filter and --task narrow it', async () => {
  const out = await must('logs', '--since', '1h');
  assert.match(out, /[0-9a-f]{8} \| hello from a task/);
  assert.match(out, /[0-9a-f]{8} \| migrating to v1/);
  const filtered = await must('logs', '--since', '1h', '--filter', 'migrating');
  assert.match(filtered, /migrating to v2/);
  assert.not.match(filtered, /hello from a task/);
  const [t] = await stoppedTasks('ferry-run');
  const one = await must('logs', '--since', '1h', '--task', t.taskArn!);
  assert.match(one, new RegExp(`${t.taskArn!.split('/').pop()!.slice(0, 8)} \\| sleeping`));
  assert.not.match(one, /migrating/);
});

test('logs --follow picks up a task that starts after it', async () => {
  const follow = runWith('logs', ['--follow', '--since', '5s'], /from a later task/);
  await new Promise((r) => setTimeout(r, 3000));
  const later = await run('run', '--command', `node -e "console.log('from a later task')"`);
  assert.is(later.code, 0, later.out);
  const r = await follow;
  assert.is(r.code, 130, r.out);
  assert.match(r.out, /[0-9a-f]{8} \| from a later task/);
});

// After the logs tests: they read the newest task `run` started.
test('run --revision: an existing revision as it is, by content tag or by number, whatever the service and the checkout run', async () => {
  // Here the service runs v1 (rolled back above) and the checked-out code is v2. A revision is found
  // newest first through ListTaskDefinitions (familyPrefix, sort DESC: AWS's service models, ecs/service-2.json)
  // and DescribeTaskDefinition; nothing is registered for it.
  const printVersion = JSON.stringify(['node', '-e', "console.log('runs ' + /VERSION = \"(v\\d+)\"/.exec(require('fs').readFileSync('/app/server.js', 'utf8'))[1])"]);
  sb.resetStats();
  const byTag = await must('run', '--revision', tagV2, '--command', printVersion);
  assert.match(byTag, /runs v2/);
  const live = (await describe()).taskDefinition!;
  const byNumber = await must('run', '--revision', live.split(':').pop()!, '--command', printVersion);
  assert.match(byNumber, /runs v1/);
  const missing = await run('run', '--revision', '999', '--command', printVersion);
  assert.is(missing.code, 1, missing.out);
  assert.match(missing.out, /no ACTIVE revision of \S+ matches "999"\. Known revisions: \d+/);
  assert.not.ok(sb.stats().ecs.RegisterTaskDefinition, 'an existing revision is run as it is');
  assert.not.ok(sb.stats().ecs.UpdateService, 'the service is not changed');
  assert.is(await version(), 'v1');
});

test.run();
