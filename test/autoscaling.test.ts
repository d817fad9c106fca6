// Integration: ferry-managed autoscaling (deploy.json `autoscaling`) as real CLI runs against a real
// sandbox. ferry registers the scalable target and its `ferry-<metric>` target-tracking policies
// after the service exists (requests: with the ResourceLabel of the load balancer in front of the
// app), then, when deploy.json changes, updates the bounds, deletes its own policy no longer
// declared, leaves a policy it did not create alone, and never sends the desired count that
// autoscaling owns. When `autoscaling` leaves deploy.json, ferry deletes its policies and deregisters
// the target it registered (tagged ferry:app) only once no policy of anyone else hangs on it
// (DeregisterScalableTarget deletes every policy of the target: API_DeregisterScalableTarget).
// The sandbox records targets and policies but does not scale on metrics (docs/sandbox.md); the
// count is moved by hand, as a scale-out would.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DeleteScalingPolicyCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { DescribeServicesCommand, ECSClient, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { ScriptRunner } from './script-runner.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-autoscaling-'));
const ws = join(tmp, 'ws');
const CLUSTER = 'scale-it';
const APP = 'api';
let sb: Sandbox;
let ecs: ECSClient;
let aas: ApplicationAutoScalingClient;

const server = (version: string) => `const http = require('http');
const server = http.createServer((req, res) => res.end(JSON.stringify({ version: ${JSON.stringify(version)} })));
server.listen(Number(process.env.PORT || 8080), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); });
`;

const runner = new ScriptRunner({ ws, tmp, project: APP });
const commit = (files: Record<string, string>, message: string) => runner.commit(files, message);
const run = (name: string, ...args: string[]) => runner.run(name, args);
const must = (name: string, ...args: string[]) => runner.must(name, ...args);
const buildAndPush = () => runner.buildAndPush();

const RESOURCE = `service/${CLUSTER}/${APP}`;
const deployJson = (autoscaling?: object) =>
  JSON.stringify({ repository: 'scale-it/api', containerPort: 8080, healthCheckPath: '/', desiredCount: 1, deployment: { timeoutSeconds: 120 }, logs: false, ...(autoscaling && { autoscaling }) }, null, 2);

async function describe(): Promise<Service> {
  const r = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [APP], include: ['TAGS'] }));
  assert.ok(r.services?.[0], `service missing: ${JSON.stringify(r.failures)}`);
  return r.services![0];
}
const target = async () => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [RESOURCE], ScalableDimension: 'ecs:service:DesiredCount' }))).ScalableTargets ?? [];
const policies = async () =>
  Object.fromEntries(
    ((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'ecs', ResourceId: RESOURCE }))).ScalingPolicies ?? []).map((p) => [p.PolicyName!, p.TargetTrackingScalingPolicyConfiguration]),
  );

test.before(async () => {
  try {
    sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
    ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    aas = new ApplicationAutoScalingClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    runner.scaffold('scale-it', sb, CLUSTER);
    commit(
      {
        [`apps/${APP}/deploy.json`]: deployJson({ min: 1, max: 3, targetTracking: [{ metric: 'cpu', target: 60, scaleInCooldown: 120 }, { metric: 'requests', target: 500 }] }),
        [`apps/${APP}/server.js`]: server('v1'),
      },
      'v1',
    );
  } catch (e) {
    console.error(e);
    throw e;
  }
});

test.after(async () => {
  await sb?.stop({ removeTasks: true }).catch(() => undefined);
  if (sb) {
    const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => r.startsWith(`${sb.registryHost}/`));
    if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
  }
  rmSync(tmp, { recursive: true, force: true });
});

test('a new service gets the scalable target and ferry\'s policies once it exists; later changes touch only ferry\'s', async () => {
  await buildAndPush();
  // --dry-run shows the scaling calls after CreateService and writes nothing.
  const dry = await must('deploy-app', '--dry-run');
  assert.match(dry, /CreateService \{[\s\S]*RegisterScalableTarget \{[\s\S]*PutScalingPolicy \{/);
  assert.equal(await target(), []);

  const first = await must('deploy-app');
  assert.match(first, /autoscaling: scalable target 1..3, policy ferry-cpu, policy ferry-requests/);
  const [t] = await target();
  assert.equal([t?.MinCapacity, t?.MaxCapacity], [1, 3]);
  // The target ferry registered carries its tag; the service says ferry manages its autoscaling.
  assert.equal((await aas.send(new ListTagsForResourceCommand({ ResourceARN: t!.ScalableTargetARN! }))).Tags, { 'ferry:app': APP });
  assert.ok((await describe()).tags?.some((x) => x.key === 'ferry:autoscaling'), 'service tagged ferry:autoscaling');
  const p1 = await policies();
  assert.equal(Object.keys(p1).sort(), ['ferry-cpu', 'ferry-requests']);
  assert.equal(p1['ferry-cpu'], { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleInCooldown: 120 });
  // ALBRequestCountPerTarget counts on the load balancer in front of the app (the one ferry provisioned).
  assert.match(p1['ferry-requests']?.PredefinedMetricSpecification?.ResourceLabel ?? '', /^app\/[^/]+\/[0-9a-f]{16}\/targetgroup\/[^/]+\/[0-9a-f]{16}$/);

  // Someone else's policy, and a scale-out (what autoscaling would do on load).
  await aas.send(
    new PutScalingPolicyCommand({
      ServiceNamespace: 'ecs',
      ResourceId: RESOURCE,
      ScalableDimension: 'ecs:service:DesiredCount',
      PolicyName: 'team-memory',
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 80, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } },
    }),
  );
  await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: APP, desiredCount: 2 }));

  // New bounds, cpu at 70, requests no longer declared.
  commit({ [`apps/${APP}/deploy.json`]: deployJson({ min: 2, max: 4, targetTracking: [{ metric: 'cpu', target: 70 }] }) }, 'autoscaling 2..4');
  const diff = await run('diff', '--exit-code');
  assert.is(diff.code, 2, diff.out);
  assert.match(diff.out, /deploy would only update autoscaling \(no deployment\)/);
  assert.match(diff.out, /scalable target service\/scale-it\/api 2..4 \(now 1..3\)/);
  assert.match(diff.out, /policy ferry-requests is ferry's and no longer declared: DeleteScalingPolicy/);
  assert.match(diff.out, /policy team-memory was not created by ferry: left alone/);
  assert.match(diff.out, /desiredCount is managed by autoscaling \(deploy.json: 2..4\): ferry leaves it at 2/);

  const second = await must('deploy-app');
  assert.match(second, /up to date/);
  const [t2] = await target();
  assert.equal([t2?.MinCapacity, t2?.MaxCapacity], [2, 4]);
  const p2 = await policies();
  assert.equal(Object.keys(p2).sort(), ['ferry-cpu', 'team-memory']);
  assert.is(p2['ferry-cpu']?.TargetValue, 70);
  assert.is(p2['team-memory']?.TargetValue, 80, 'a policy ferry did not create is untouched');
  assert.is((await describe()).desiredCount, 2, 'the count autoscaling set is never sent back to deploy.json\'s 1');

  // Nothing left to do.
  const again = await run('diff', '--exit-code');
  assert.is(again.code, 0, again.out);
});

test('autoscaling removed from deploy.json: ferry deletes its policy; its target goes once no one else\'s policy hangs on it', async () => {
  commit({ [`apps/${APP}/deploy.json`]: deployJson() }, 'no autoscaling');
  const diff = await run('diff', '--exit-code');
  assert.is(diff.code, 2, diff.out);
  assert.match(diff.out, /autoscaling: no longer declared in deploy.json: ferry removes what it created and leaves the rest/);
  assert.match(diff.out, /policy ferry-cpu is ferry's and no longer declared: DeleteScalingPolicy/);
  // Deregistering the target would delete team-memory too (API_DeregisterScalableTarget): it stays.
  assert.match(diff.out, /scalable target service\/scale-it\/api 2..4 was registered by ferry but also carries policy team-memory, which deregistering would delete: left registered/);
  assert.match(diff.out, /policy team-memory was not created by ferry: left alone/);
  assert.not.match(diff.out, /DeregisterScalableTarget/);
  const dry = await must('deploy-app', '--dry-run');
  assert.match(dry, /DeleteScalingPolicy/);
  assert.equal(Object.keys(await policies()).sort(), ['ferry-cpu', 'team-memory'], '--dry-run writes nothing');

  const removed = await must('deploy-app');
  assert.match(removed, /autoscaling: deleted ferry-cpu, scalable target left: was registered by ferry but also carries policy team-memory/);
  const p = await policies();
  assert.equal(Object.keys(p), ['team-memory'], 'ferry\'s policy is gone');
  assert.is(p['team-memory']?.TargetValue, 80, 'the policy created outside ferry survives, unchanged');
  const [kept] = await target();
  assert.equal([kept?.MinCapacity, kept?.MaxCapacity], [2, 4]);
  const svc = await describe();
  assert.is(svc.desiredCount, 2, 'a registered target still owns the count');
  assert.ok(svc.tags?.some((x) => x.key === 'ferry:autoscaling'), 'the marker stays while ferry\'s target is kept');

  // Once the team's policy is gone, the next deploy deregisters ferry's target and deploy.json's count applies again.
  await aas.send(new DeleteScalingPolicyCommand({ ServiceNamespace: 'ecs', ResourceId: RESOURCE, ScalableDimension: 'ecs:service:DesiredCount', PolicyName: 'team-memory' }));
  const diff2 = await run('diff', '--exit-code');
  assert.is(diff2.code, 2, diff2.out);
  assert.match(diff2.out, /scalable target service\/scale-it\/api 2..4 was registered by ferry: DeregisterScalableTarget \{"ServiceNamespace":"ecs","ResourceId":"service\/scale-it\/api","ScalableDimension":"ecs:service:DesiredCount"\}/);
  assert.match(diff2.out, /UntagResource .*"tagKeys":\["ferry:autoscaling"\]/);
  const last = await must('deploy-app');
  assert.match(last, /autoscaling: deregistered the scalable target 2..4, service's ferry:autoscaling tag removed/);
  assert.equal(await target(), []);
  const after = await describe();
  assert.is(after.desiredCount, 1, 'deploy.json\'s desiredCount once no target owns the count');
  assert.not.ok(after.tags?.some((x) => x.key === 'ferry:autoscaling'));

  // Nothing of ferry's left: a diff neither changes nor asks Application Auto Scaling anything.
  await fetch(`${sb.endpoint}/_sandbox/stats/reset`, { method: 'POST' });
  const quiet = await run('diff', '--exit-code');
  assert.is(quiet.code, 0, quiet.out);
  assert.equal(((await (await fetch(`${sb.endpoint}/_sandbox/stats`)).json()) as { autoscaling: object }).autoscaling, {}, "no Application Auto Scaling call");

  // A target someone else registers is never ferry's: a deploy without autoscaling leaves it.
  await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: RESOURCE, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 }));
  await must('deploy-app');
  assert.is((await target()).length, 1);
});

// Application Auto Scaling refuses a target on an ECS service that does not exist: ValidationException
// "ECS service doesn't exist: <resource id>" (moto's backend; the Terraform AWS provider's
// aws_appautoscaling_target retries on it; spinnaker/spinnaker#4371). Not in AWS's API reference.
test('RegisterScalableTarget on a service that does not exist is refused (ValidationException)', async () => {
  const e = await aas
    .send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: `service/${CLUSTER}/nope`, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 2 }))
    .then(() => undefined, (x: Error) => x);
  assert.is(e?.name, 'ValidationException');
  assert.is(e?.message, `ECS service doesn't exist: service/${CLUSTER}/nope`);
});

test.run();
