// Integration: the deploy half of the pipeline (deploy-app, health-check, smoke-test, diff,
// rollback, deploy) as real CLI runs in a temporary Nx workspace, against a real sandbox with real
// containers, after the image half (build-image, push) put real images in its registry.
// Asserts on the world: the service's deployments and task definitions, the registry, HTTP answers
// through the sandbox load balancer, and the sandbox's API call counters.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListTaskDefinitionsCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { ScriptRunner } from './script-runner.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

// Fast sandbox timings (docs/sandbox.md); a load-balancer port range of our own.
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-pipeline-deploy-'));
const ws = join(tmp, 'ws');
const CLUSTER = 'pipeline-it';
const APP = 'hello';
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
      repository: 'pipeline-it/hello',
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
const runWith = (name: string, args: string[], interruptWhen?: RegExp) => runner.run(name, args, { interruptWhen });
const run = (name: string, ...args: string[]) => runWith(name, args);
const must = (name: string, ...args: string[]) => runner.must(name, ...args);
const buildAndPush = () => runner.buildAndPush();

async function describe(): Promise<Service> {
  const r = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [APP], include: ['TAGS'] }));
  assert.ok(r.services?.[0], `service missing: ${JSON.stringify(r.failures)}`);
  return r.services![0];
}

async function liveImage(): Promise<string> {
  const svc = await describe();
  const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }));
  return td.taskDefinition!.containerDefinitions![0].image!;
}

const lbUrl = async () => (await describe()).tags!.find((t) => t.key === 'ferry:sandbox-url')!.value!;

async function version(): Promise<string> {
  const r = await fetch(`${await lbUrl()}/version`, { signal: AbortSignal.timeout(5000) });
  assert.is(r.status, 200);
  return ((await r.json()) as { version: string }).version;
}

const WRITES = ['RegisterTaskDefinition', 'DeregisterTaskDefinition', 'CreateService', 'UpdateService', 'CreateCluster', 'TagResource', 'UntagResource'];

let tagV1 = '';
let tagV2 = '';

test.before(async () => {
  sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
  assert.ok(sb.ecsEnabled, 'the sandbox serves ECS');
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  runner.scaffold('pipeline-it', sb, CLUSTER);
  commit({ [`apps/${APP}/deploy.json`]: deployJson(), [`apps/${APP}/server.js`]: server('v1') }, 'v1');
});

test.after(async () => {
  await sb?.stop({ removeTasks: true }).catch(() => undefined);
  // Images this suite built or pulled: everything under the sandbox registry's host:port.
  if (sb) {
    const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => r.startsWith(`${sb.registryHost}/`));
    if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('diff with nothing deployed names the create: exit 0, and 2 with --exit-code', async () => {
  assert.is((await run('diff')).code, 0);
  const r = await run('diff', '--exit-code');
  assert.is(r.code, 2, r.out);
  assert.match(r.out, /service hello does not exist; deploy would create it/);
});

test('deploy-app refuses an image that was never pushed, naming the push target', async () => {
  const r = await run('deploy-app');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /is not in ECR\. Push it first: nx run hello:push/);
});

test('first deploy creates the service and the rollout completes', async () => {
  tagV1 = await buildAndPush();
  const dry = await must('deploy-app', '--dry-run');
  assert.match(dry, /CreateService \{/);
  const out = await must('deploy-app');
  assert.match(out, /create-service: done/);
  assert.match(out, /COMPLETED/);
  const svc = await describe();
  assert.is(svc.deployments!.length, 1);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  assert.is(svc.runningCount, 1);
  assert.ok((await liveImage()).endsWith(`:${tagV1}`));
  assert.is(await version(), 'v1');
});

test('a second deploy is up to date and makes zero ECS write calls', async () => {
  sb.resetStats();
  const out = await must('deploy-app');
  assert.match(out, /up to date/);
  const calls = sb.stats().ecs;
  for (const op of WRITES) assert.not.ok(calls[op], `${op} was called ${calls[op]} time(s): ${JSON.stringify(calls)}`);
  assert.ok(calls.DescribeServices >= 1, 'it did look');
});

/** The service's `ferry:spec` tag split into its fields (libs/ferry/deploy/src/spec.ts). */
async function specTag(): Promise<{ svc: Service; arn?: string; fingerprint?: string; contentTag?: string }> {
  const svc = await describe();
  const [arn, fingerprint, contentTag] = (svc.tags?.find((t) => t.key === 'ferry:spec')?.value ?? '').split(' ');
  return { svc, arn: arn || undefined, fingerprint, contentTag };
}

/** ECS calls of one no-op deploy-app: exactly one DescribeServices, no task definition read, no write. */
async function assertOneReadNoOp() {
  sb.resetStats();
  const out = await must('deploy-app');
  assert.match(out, /up to date/);
  const calls = sb.stats().ecs;
  assert.is(calls.DescribeServices, 1, JSON.stringify(calls));
  assert.not.ok(calls.DescribeTaskDefinition, `DescribeTaskDefinition: ${JSON.stringify(calls)}`);
  for (const op of WRITES) assert.not.ok(calls[op], `${op} was called ${calls[op]} time(s): ${JSON.stringify(calls)}`);
}

test('the rollout recorded ferry:spec on the service; a no-op deploy-app is one DescribeServices', async () => {
  const { svc, arn, fingerprint, contentTag } = await specTag();
  assert.is(arn, svc.deployments!.find((d) => d.status === 'PRIMARY')!.taskDefinition, 'the tag names the PRIMARY revision');
  assert.match(fingerprint ?? '', /^v2-[0-9a-f]{24}$/);
  assert.is(contentTag, tagV1);
  assert.ok(svc.tags?.some((t) => t.key === 'ferry:app'), 'the other service tags are kept');
  await assertOneReadNoOp();
  // diff and --dry-run plan the same way: up to date, from the same single read.
  sb.resetStats();
  const dry = await must('deploy-app', '--dry-run');
  assert.match(dry, /up to date/);
  assert.not.ok(sb.stats().ecs.DescribeTaskDefinition, JSON.stringify(sb.stats().ecs));
});

test('health-check, smoke-test (with JUnit), diff and deploy report the live service', async () => {
  assert.match(await must('health-check'), /GET http:\/\/127\.0\.0\.1:\d+\/health -> 200/);
  const junit = join(tmp, 'reports', 'smoke.xml');
  assert.match(await must('smoke-test', '--junit', junit), /1\/1 passed/);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testcase classname="hello\.smoke" name="version"/);
  assert.not.match(xml, /<failure/);
  const diff = await run('diff');
  assert.is(diff.code, 0, diff.out);
  assert.match(diff.out, /up to date/);
  assert.match(await must('deploy'), new RegExp(`hello:1 runs ${tagV1}, 1/1 tasks at http://127\\.0\\.0\\.1:\\d+`));
});

test('a broken image fails with the reason printed; the breaker rolls back and the old revision still answers', async () => {
  commit({ [`apps/${APP}/server.js`]: server('v2-broken', true) }, 'broken');
  const diff = await run('diff', '--explain', '--exit-code');
  assert.is(diff.code, 2, diff.out);
  assert.match(diff.out, /apps\/hello\/server\.js/);
  const broken = await buildAndPush();
  const r = await run('deploy-app');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /circuit breaker/);
  assert.match(r.out, /EssentialContainerExited: Essential container in task exited \(hello exit 3\)/);
  assert.match(r.out, /Rolled back: hello:1 is live again/);
  // The verdict reads ECS's rollback (a new PRIMARY whose reason names it), not "superseded".
  assert.match(r.out, /ECS's circuit breaker rolled the service back to hello:1 \(deployment ecs-svc\/\d+\)/);
  assert.not.match(r.out, /superseded/);
  // The report ends with the failed task's own last lines, read back from its awslogs stream
  // `<prefix>/<container>/<task id>` in the default group /ferry/<cluster>/<service>
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
  assert.match(r.out, /logs of task [0-9a-f]+ \(hello\), last \d+ lines? of \/ferry\/[^ ]+\/hello hello\/hello\/[0-9a-f]+:/);
  assert.match(r.out, /\| boom: cannot start/);
  assert.match(r.out, /nx run hello:rollback --to/);
  const svc = await describe();
  // ECS keeps the FAILED deployment beside the new PRIMARY while it drains (ECS-SEMANTICS §2).
  assert.ok(svc.deployments!.slice(1).every((d) => d.rolloutState === 'FAILED' && d.status !== 'PRIMARY'), JSON.stringify(svc.deployments));
  assert.is(svc.deployments![0].status, 'PRIMARY');
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  assert.ok((await liveImage()).endsWith(`:${tagV1}`), 'back on v1');
  assert.not.ok((await liveImage()).endsWith(`:${broken}`));
  assert.is(await version(), 'v1');
});

test('without the breaker rollback, ferry itself returns the service to the previous revision', async () => {
  commit({ [`apps/${APP}/deploy.json`]: deployJson({ deployment: { timeoutSeconds: 120, circuitBreaker: { enable: true, rollback: false } } }) }, 'no breaker rollback');
  const r = await run('deploy-app');
  assert.is(r.code, 1, r.out);
  assert.match(r.out, /failed: ECS deployment circuit breaker: tasks failed to start/);
  assert.match(r.out, /rollback: rolling back to hello:\d+/);
  assert.match(r.out, /Rolled back: hello:\d+ is live again/);
  const svc = await describe();
  // ECS keeps the FAILED deployment beside the new PRIMARY while it drains (ECS-SEMANTICS §2).
  assert.ok(svc.deployments!.slice(1).every((d) => d.rolloutState === 'FAILED' && d.status !== 'PRIMARY'), JSON.stringify(svc.deployments));
  assert.ok((await liveImage()).endsWith(`:${tagV1}`));
  assert.is(await version(), 'v1');
});

test('a good v2 deploys; rollback --to the v1 tag returns to it; rollback goes back to v2', async () => {
  commit({ [`apps/${APP}/server.js`]: server('v2'), [`apps/${APP}/deploy.json`]: deployJson() }, 'v2');
  tagV2 = await buildAndPush();
  await must('deploy-app');
  assert.is(await version(), 'v2');
  const dry = await must('rollback', '--to', tagV1, '--dry-run');
  assert.match(dry, /would roll hello back from hello:\d+ to hello:1/);
  assert.is(await version(), 'v2', 'dry run changed nothing');
  await must('rollback', '--to', tagV1);
  assert.ok((await liveImage()).endsWith(`:${tagV1}`));
  assert.is(await version(), 'v1');
  await must('rollback');
  assert.ok((await liveImage()).endsWith(`:${tagV2}`));
  assert.is(await version(), 'v2');
  const diff = await run('diff');
  assert.is(diff.code, 0, diff.out);
});

test('after an outside UpdateService to an older revision, deploy-app reads in full and redeploys', async () => {
  const before = await specTag();
  const current = before.svc.deployments!.find((d) => d.status === 'PRIMARY')!.taskDefinition!;
  assert.is(before.arn, current, 'the v2 revision is live and tagged');
  // Someone else puts the v1 revision back, outside ferry: the tag still names the v2 revision.
  const arns = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: APP, status: 'ACTIVE' }))).taskDefinitionArns ?? [];
  let older: string | undefined;
  for (const arn of arns) {
    if (arn === current) continue;
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    if (td.taskDefinition!.containerDefinitions![0].image!.endsWith(`:${tagV1}`)) older = arn;
  }
  assert.ok(older, `no ACTIVE v1 revision among ${arns.join(', ')}`);
  await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: APP, taskDefinition: older }));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const svc = await describe();
    if (svc.deployments!.length === 1 && svc.deployments![0].rolloutState === 'COMPLETED' && svc.deployments![0].taskDefinition === older) break;
    assert.ok(Date.now() < deadline, `the outside rollout did not complete: ${JSON.stringify(svc.deployments)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.is(await version(), 'v1');

  sb.resetStats();
  const out = await must('deploy-app');
  assert.match(out, /COMPLETED/);
  const calls = sb.stats().ecs;
  assert.ok(calls.DescribeTaskDefinition >= 1, `the mismatch took the full path: ${JSON.stringify(calls)}`);
  assert.is(calls.RegisterTaskDefinition, 1, JSON.stringify(calls));
  assert.is(calls.UpdateService, 1, JSON.stringify(calls));
  assert.is(await version(), 'v2');
  const after = await specTag();
  const primary = after.svc.deployments!.find((d) => d.status === 'PRIMARY')!.taskDefinition;
  assert.is(after.arn, primary, 'the tag names the new PRIMARY revision');
  assert.is.not(primary, older);
  assert.is(after.fingerprint, before.fingerprint, 'same config and image: same fingerprint');
  await assertOneReadNoOp();
});

test('throttled DescribeServices during the watch is ridden out', async () => {
  sb.setFaults({ throttle: { operation: 'DescribeServices', count: 4, service: 'ecs' } });
  try {
    const out = await must('deploy-app', '--force');
    assert.match(out, /COMPLETED/);
  } finally {
    sb.clearFaults();
  }
  assert.is((await describe()).deployments!.length, 1);
});

test('Ctrl-C while watching leaves the rollout running, exits 130, and deploy-app again sees it through', async () => {
  const before = (await describe()).taskDefinition!;
  const r = await runWith('deploy-app', ['--force'], /watching deployment/);
  assert.is(r.code, 130, r.out);
  assert.match(r.out, /ECS carries on with the rollout/);
  assert.match(r.out, /PRIMARY +ecs-svc\/\S+ hello:\d+/);
  assert.match(r.out, /next: nx run hello:deploy-app/);
  const svc = await describe();
  assert.is.not(svc.taskDefinition, before, 'not rolled back: the service targets the new revision');
  const again = await must('deploy-app');
  assert.match(again, /already rolling out|up to date/);
  const settled = await describe();
  assert.is(settled.taskDefinition, svc.taskDefinition);
  assert.is(settled.deployments!.length, 1);
  assert.is(settled.deployments![0].rolloutState, 'COMPLETED');
  assert.is(await version(), 'v2');
});

test.run();
