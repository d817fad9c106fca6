// applyDeploy, the rollout primitive, recover and the rollback command against the in-memory ECS
// (FakeEcs), which plays rollouts the way ECS does: a circuit-breaker rollback is a new PRIMARY
// deployment of the last completed revision while ours stays ACTIVE/FAILED (ECS-SEMANTICS §2,
// corrected from field captures and fabfuel/ecs-deploy's PAYLOAD_DEPLOYMENTS_FAILED_ROLLBACK), and
// the ServiceDeployments API reports ROLLBACK_IN_PROGRESS -> ROLLBACK_SUCCESSFUL (ECS model,
// `ServiceDeploymentStatus`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError, MemoryReporter, type AppDeployConfig } from '@ferry/core';
import { FakeEcr, FakeEcs } from '@ferry/aws/testing';
import { ManualClock } from '../../core/src/testing/clock.ts';
import { applyDeploy, type DeployPorts } from './apply.ts';
import { appConfig, awsEnv, sandboxEnv } from './fixtures.test-support.ts';
import { planFor } from './live.ts';
import { applyRollback, planRollback } from './rollback.ts';
import { rollService, startedDeployment, type RolloutSettings } from './roll.ts';
import { TAG_RESULT, TAG_RETURNED_AT, TAG_STATUS } from './task-definition.ts';
import { TAG_SPEC } from './spec.ts';
import { TAG_ROLLOUT_MS } from './rollout.ts';
import { recordRolloutToVerify, revertFailedCheck, rolloutToVerify } from './verify.ts';
import { RunSession } from '@ferry/core';

const env = sandboxEnv;
const registry = '127.0.0.1:5000';

/** A service `api` that runs revision 1 (its rollout COMPLETED and recorded), image v1 in ECR. */
async function world(app: AppDeployConfig = appConfig()) {
  const ecs = new FakeEcs();
  const ecr = new FakeEcr(registry);
  const clock = new ManualClock();
  ecs.now = () => clock.now();
  ecs.addCluster(env.cluster);
  const ports: DeployPorts = { ecs, imageExists: async (repo, tag) => ecr.describeImages({ repositoryName: repo, imageIds: [{ imageTag: tag }] }).then(() => true, () => false) };
  const reporter = new MemoryReporter();
  const settings: RolloutSettings = { rollback: true, timeoutMs: 60_000, intervalMs: 1000, reporter, clock, deployedBy: 'dev@laptop' };
  const deploy = async (tag: string, a = app, s: Partial<RolloutSettings> = {}) => {
    ecr.addImage(a.repository, tag);
    const { plan } = await planFor(ecs, { app: a, env, imageRef: `${registry}/${a.repository}:${tag}`, contentTag: tag });
    return applyDeploy(ports, plan, a, { ...settings, ...s });
  };
  await deploy('ft-v1');
  ecs.calls.length = 0;
  reporter.events.length = 0;
  return { ecs, ecr, clock, ports, reporter, settings, deploy, app };
}

const failure = async (p: Promise<unknown>): Promise<FerryError> => {
  try {
    await p;
  } catch (e) {
    assert.instance(e, FerryError);
    return e as FerryError;
  }
  throw new Error('expected a failure');
};

const tag = (ecs: FakeEcs, arn: string, key: string) => ecs.tagsOf(arn).find((t) => t.key === key)?.value;

test('an update registers a revision, points the service at its ARN (not the family), completes and records it', async () => {
  const w = await world();
  const svcArn = w.ecs.peek(env.cluster, 'api')!.serviceArn!;
  // The service's first rollout (CreateService) has no old task to drain: its duration would be no
  // estimate for the updates after it, so only an update records ferry:rollout-ms.
  assert.is(tag(w.ecs, svcArn, TAG_ROLLOUT_MS), undefined, 'no duration recorded from the CreateService rollout');
  const r = await w.deploy('ft-v2');
  assert.match(tag(w.ecs, svcArn, TAG_ROLLOUT_MS) ?? '', /^\d+$/, "the update's duration is recorded for the next watch");
  assert.is(r.plan.kind, 'update');
  assert.is(r.taskDefinitionArn, FakeEcs.arn('api', 2));
  assert.ok(w.ecs.calls.includes('updateService api api:2'), w.ecs.calls.join('\n'));
  assert.is(tag(w.ecs, r.taskDefinitionArn, TAG_STATUS), 'completed');
  assert.is(tag(w.ecs, r.taskDefinitionArn, TAG_RESULT), 'completed');
  assert.match(tag(w.ecs, w.ecs.peek(env.cluster, 'api')!.serviceArn!, TAG_SPEC) ?? '', /api:2 v2-/);
  const steps = w.reporter.events.filter((e) => e.kind === 'step').map((e) => `${(e as { step: string }).step} ${(e as { status: string }).status}`);
  assert.equal(steps, ['register-task-definition start', 'register-task-definition done', 'update-service start', 'update-service done', 'rollout start', 'rollout done']);
});

test('the same image again is up to date: no write at all', async () => {
  const w = await world();
  const r = await w.deploy('ft-v1');
  assert.is(r.plan.kind, 'up-to-date');
  assert.equal(w.ecs.calls.filter((c) => !/^(describe|list)/.test(c)), []);
});

test('a crash loop with the breaker set to roll back: ECS rolls back, ferry waits for it and starts no rollout of its own', async () => {
  const w = await world();
  w.ecs.script('api', { outcome: 'fail', stoppedReason: 'Essential container in task exited', exitCode: 3 });
  const e = await failure(w.deploy('ft-v2'));
  assert.is(e.code, 'DEPLOY_FAILED');
  assert.match(e.message, /api: deployment ecs-svc\/\d+ of api:2 .* failed \(ECS deployment circuit breaker: tasks failed to start\) and ECS's circuit breaker rolled the service back to api:1/);
  assert.match(e.message, /Rolled back: api:1 is live again\./);
  assert.is(w.ecs.count('updateService'), 1, 'one UpdateService: ours; the rollback was ECS\'s');
  assert.ok(e.details.some((d) => /ECS service deployment: ROLLBACK_SUCCESSFUL \(circuit breaker TRIGGERED: 3 of 3 failed tasks\)/.test(d)), e.details.join('\n'));
  assert.ok(e.details.some((d) => /stopped task .*EssentialContainerExited: Essential container in task exited \(app exit 3\)/.test(d)), e.details.join('\n'));
  assert.is(tag(w.ecs, FakeEcs.arn('api', 2), TAG_STATUS), 'failed');
  assert.is(tag(w.ecs, FakeEcs.arn('api', 2), TAG_RESULT), 'failed');
  assert.ok(tag(w.ecs, FakeEcs.arn('api', 1), TAG_RETURNED_AT), 'the revision rolled back to records when it came back');
  const svc = w.ecs.peek(env.cluster, 'api')!;
  assert.is(svc.deployments?.[0].taskDefinition, FakeEcs.arn('api', 1));
});

test('where the ServiceDeployments API is denied, the verdict and the rollback are the same (DescribeServices only)', async () => {
  const w = await world();
  w.ecs.serviceDeploymentsApi = false;
  w.ecs.script('api', { outcome: 'fail' });
  const e = await failure(w.deploy('ft-v2'));
  assert.match(e.message, /circuit breaker rolled the service back to api:1.*Rolled back: api:1 is live again/);
  assert.not.ok(e.details.some((d) => /ECS service deployment/.test(d)));
  assert.is(w.ecs.count('updateService'), 1);
});

test('breaker without rollback: the FAILED deployment stays; ferry rolls back itself (a second UpdateService, to api:1)', async () => {
  const app = appConfig({ deployment: { ...appConfig().deployment, circuitBreaker: { enable: true, rollback: false } } });
  const w = await world(app);
  w.ecs.script('api', { outcome: 'fail' });
  const e = await failure(w.deploy('ft-v2'));
  assert.match(e.message, /failed: ECS deployment circuit breaker: tasks failed to start\. Rolled back: api:1 is live again\./);
  assert.equal(w.ecs.calls.filter((c) => c.startsWith('updateService')), ['updateService api api:2', 'updateService api api:1']);
});

test('--no-rollback leaves the failed revision in place and says so', async () => {
  const app = appConfig({ deployment: { ...appConfig().deployment, circuitBreaker: { enable: true, rollback: false } } });
  const w = await world(app);
  w.ecs.script('api', { outcome: 'fail' });
  const e = await failure(w.deploy('ft-v2', app, { rollback: false }));
  assert.match(e.message, /Not rolled back \(--no-rollback\): the service still targets api:2\./);
  assert.is(w.ecs.count('updateService'), 1);
});

test('a rollout that never settles times out and is rolled back by ferry', async () => {
  const w = await world();
  w.ecs.script('api', { outcome: 'stall' });
  const e = await failure(w.deploy('ft-v2', w.app, { timeoutMs: 5000 }));
  assert.is(e.code, 'ROLLOUT_TIMEOUT');
  assert.match(e.message, /did not complete within 5s\. Rolled back: api:1 is live again\./);
  assert.is(tag(w.ecs, FakeEcs.arn('api', 2), TAG_RESULT), 'timeout');
});

test('an image that is not in ECR stops before any write', async () => {
  const w = await world();
  const { plan } = await planFor(w.ecs, { app: w.app, env, imageRef: `${registry}/${w.app.repository}:ft-missing`, contentTag: 'ft-missing' });
  const e = await failure(applyDeploy(w.ports, plan, w.app, w.settings));
  assert.is(e.code, 'NOT_FOUND');
  assert.match(e.message, /is not in ECR\. Push it first: nx run api:push/);
  assert.equal(w.ecs.calls.filter((c) => /^(register|update|create|tag)/.test(c)), []);
});

test('rollService: an answer whose PRIMARY runs another revision than asked is an error, not our rollout', () => {
  const answer = { serviceName: 'api', deployments: [{ id: 'ecs-svc/9', status: 'PRIMARY', taskDefinition: FakeEcs.arn('api', 7) }] };
  assert.throws(() => startedDeployment(answer, { app: 'api', service: 'api', to: FakeEcs.arn('api', 8) }), /asked ECS to run api:8 .* PRIMARY deployment ecs-svc\/9 runs api:7/);
  assert.is(startedDeployment(answer, { app: 'api', service: 'api', to: FakeEcs.arn('api', 7) }), 'ecs-svc/9');
});

test('rollService returns a typed outcome and never throws for a failed rollout', async () => {
  const w = await world();
  await w.deploy('ft-v2');
  w.ecs.script('api', { outcome: 'fail' });
  const r = await rollService(w.ecs, { app: 'api', cluster: env.cluster, service: 'api', from: FakeEcs.arn('api', 2), to: FakeEcs.arn('api', 1), start: { kind: 'update' } }, w.settings);
  assert.is(r.outcome.kind, 'rolled-back');
  assert.is((r.outcome as { by: string }).by, 'circuit-breaker');
});

test('the rollback command moves the service to the previous completed revision through the same primitive', async () => {
  const w = await world();
  await w.deploy('ft-v2');
  const resolved = { app: w.app, env, workspaceRoot: '/w', projectRoot: '/w/apps/api' } as Parameters<typeof planRollback>[1];
  const plan = await planRollback(w.ports, resolved);
  assert.is(plan.target.arn, FakeEcs.arn('api', 1));
  const r = await applyRollback(w.ports, resolved, plan, w.settings);
  assert.ok(r?.deploymentId);
  assert.is(w.ecs.peek(env.cluster, 'api')!.taskDefinition, FakeEcs.arn('api', 1));
  assert.ok(tag(w.ecs, FakeEcs.arn('api', 1), TAG_RETURNED_AT));
  // A rollback that fails goes through recover like a deploy: ECS rolls it back to where it was.
  w.ecs.script('api', { outcome: 'fail' });
  const again = await planRollback(w.ports, resolved, '2');
  const e = await failure(applyRollback(w.ports, resolved, again, w.settings));
  assert.match(e.message, /rolled the service back to api:1/);
});

test('a failed check right after a rollout of this run returns the service to the revision before it (rollbackOn)', async () => {
  const w = await world();
  await w.deploy('ft-v2');
  const session = new RunSession({ workspaceRoot: '/w' });
  const resolved = { app: w.app, env };
  const rolled = { app: 'api', cluster: env.cluster, service: 'api', from: FakeEcs.arn('api', 1), to: FakeEcs.arn('api', 2) };
  recordRolloutToVerify(session, resolved, rolled);
  assert.equal(rolloutToVerify(session, resolved), rolled);
  assert.is(rolloutToVerify(new RunSession({ workspaceRoot: '/w' }), resolved), undefined, 'another run has nothing to verify');
  const note = await revertFailedCheck(session, w.ports, resolved, rolled, 'health', w.settings, { waitMs: 0, settleMs: 1 });
  assert.match(note, /^Rolled back: api:1 is live again; api:2 is recorded as unhealthy/);
  assert.is(w.ecs.peek(env.cluster, 'api')!.taskDefinition, FakeEcs.arn('api', 1));
  assert.is(tag(w.ecs, FakeEcs.arn('api', 2), TAG_RESULT), 'unhealthy');
  assert.is(tag(w.ecs, FakeEcs.arn('api', 2), TAG_STATUS), 'failed', 'never a rollback target again');
  assert.ok(tag(w.ecs, FakeEcs.arn('api', 1), TAG_RETURNED_AT));
  assert.not.ok(w.ecs.tagsOf(w.ecs.peek(env.cluster, 'api')!.serviceArn!).some((t) => t.key === 'ferry:lock'), 'the lock is released');
});

test('rollbackOn without the check, or another deploy since: the failed check only reports', async () => {
  const w = await world();
  await w.deploy('ft-v2');
  const session = new RunSession({ workspaceRoot: '/w' });
  const rolled = { app: 'api', cluster: env.cluster, service: 'api', from: FakeEcs.arn('api', 1), to: FakeEcs.arn('api', 2) };
  const off = await revertFailedCheck(session, w.ports, { app: { ...w.app, rollbackOn: ['health'] }, env }, rolled, 'smoke', w.settings, { waitMs: 0, settleMs: 1 });
  assert.match(off, /rollbackOn in deploy\.json leaves out "smoke"/);
  await w.deploy('ft-v3');
  const after = await revertFailedCheck(session, w.ports, { app: w.app, env }, rolled, 'smoke', w.settings, { waitMs: 0, settleMs: 1 });
  assert.match(after, /Not rolled back: the service now runs api:3, not api:2/);
  assert.is(w.ecs.peek(env.cluster, 'api')!.taskDefinition, FakeEcs.arn('api', 3));
});


test('aws environment, missing or INACTIVE cluster: the plan fails naming the cluster, before anything is registered', async () => {
  // Real ECS answers DescribeServices on a missing cluster with ClusterNotFoundException and
  // DescribeClusters with a MISSING failure (ECS API reference, DescribeClusters `failures`).
  const ecs = new FakeEcs();
  const app = appConfig();
  const input = { app, env: awsEnv, imageRef: `${registry}/${app.repository}:ft-v1`, contentTag: 'ft-v1' };
  const e = await failure(planFor(ecs, input));
  assert.is(e.code, 'NOT_FOUND');
  assert.match(e.message, new RegExp(`ECS cluster ${awsEnv.cluster} does not exist in environment ${awsEnv.name}`));
  assert.match(e.message, /ferry\.json/);
  assert.is(ecs.calls.filter((c) => !/^describe/.test(c)).length, 0, `only reads: ${ecs.calls.join(', ')}`);

  ecs.addCluster(awsEnv.cluster);
  const { plan } = await planFor(ecs, input);
  assert.is(plan.kind, 'create-service');
  assert.is(plan.kind === 'create-service' && plan.ensureCluster, false, 'ferry never creates an AWS cluster');
});

test('a live revision carrying aws:-prefixed tags: the new revision does not copy them (ECS refuses user tags with aws:)', async () => {
  const w = await world();
  const liveArn = (await w.ecs.describeServices(env.cluster, [w.app.service])).services[0].taskDefinition!;
  await w.ecs.tagResource(liveArn, [{ key: 'aws:cloudformation:stack-name', value: 'platform' }, { key: 'team', value: 'payments' }]);
  const r = await w.deploy('ft-v2');
  const keys = w.ecs.tagsOf(r.taskDefinitionArn!).map((t) => t.key);
  assert.ok(keys.includes('team'), `user tags are kept: ${keys}`);
  assert.not.ok(keys.some((k) => k?.startsWith('aws:')), `no aws: tag copied: ${keys}`);
});

test.run();
