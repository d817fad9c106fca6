import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EcsTaskDefinition } from '@ferry/aws';
import { countDecision, createServiceInput, formatPlan, planDeploy, type LiveState } from './plan.ts';
import { desiredTaskDefinition, TAG_CONTENT } from './task-definition.ts';
import { diffReport } from './diff.ts';
import { appConfig, awsEnv, deployment, sandboxEnv, service, tdArn } from './fixtures.test-support.ts';

const IMG_A = '127.0.0.1:5000/ferry-sample/api:ft-a';
const IMG_B = '127.0.0.1:5000/ferry-sample/api:ft-b';
const app = appConfig();

function liveTd(image: string): { taskDefinition: EcsTaskDefinition; tags: { key: string; value: string }[] } {
  const input = desiredTaskDefinition(null, app, sandboxEnv, image, { contentTag: image.split(':').pop()! });
  const { tags, ...rest } = input;
  return { taskDefinition: { ...rest, taskDefinitionArn: tdArn(1), revision: 1, status: 'ACTIVE' } as EcsTaskDefinition, tags: tags as { key: string; value: string }[] };
}

function desired(image: string, a = app, env = sandboxEnv) {
  const tag = image.split(':').pop()!;
  return (live: LiveState | null) => ({ app: a, env, imageRef: image, contentTag: tag, registerInput: desiredTaskDefinition(live?.taskDef ?? null, a, env, image, { contentTag: tag, gitSha: 'g' }) });
}

const steady = (image: string, over = {}): LiveState => ({ service: service([deployment({})], over), taskDef: liveTd(image) });

test('no service -> create-service with the cluster check; no load balancer until a target group is known (sandboxTargetGroup provisions one)', () => {
  const p = planDeploy(null, desired(IMG_A)(null));
  assert.is(p.kind, 'create-service');
  if (p.kind !== 'create-service') return;
  assert.ok(p.ensureCluster);
  assert.is(p.createInput.loadBalancers, undefined, 'ECS requires a target group in every loadBalancers entry');
  assert.is(p.createInput.desiredCount, 2);
  assert.equal(p.createInput.deploymentConfiguration?.deploymentCircuitBreaker, { enable: true, rollback: true });
  assert.is(p.registerInput.containerDefinitions![0].image, IMG_A);
});

test('aws create-service carries awsvpc networking, no load balancer, no cluster creation', () => {
  const p = planDeploy(null, desired(IMG_A, app, awsEnv)(null));
  assert.ok(p.kind === 'create-service' && !p.ensureCluster);
  if (p.kind !== 'create-service') return;
  assert.is(p.createInput.loadBalancers, undefined);
  assert.equal(p.createInput.networkConfiguration, { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' } });
});

test('an INACTIVE (deleted) service is created again', () => {
  const live = steady(IMG_A, { status: 'INACTIVE' });
  assert.is(planDeploy(live, desired(IMG_A)(live)).kind, 'create-service');
});

test('same image, COMPLETED -> up-to-date (no write)', () => {
  const live = steady(IMG_A);
  const p = planDeploy(live, desired(IMG_A)(live));
  assert.is(p.kind, 'up-to-date', JSON.stringify(p));
  assert.is(p.taskDefinitionDiff, '');
  assert.equal(diffReport({ plan: p, localTag: 'ft-a', liveTag: 'ft-a', imagePushed: true }).changed, false);
});

test('--force turns up-to-date into an update', () => {
  const live = steady(IMG_A);
  const p = planDeploy(live, desired(IMG_A)(live), { force: true });
  assert.ok(p.kind === 'update' && p.reasons.includes('--force'));
});

test('new image -> update with the diff, the previous revision and exact inputs', () => {
  const live = steady(IMG_A);
  const p = planDeploy(live, desired(IMG_B)(live));
  assert.is(p.kind, 'update');
  if (p.kind !== 'update') return;
  assert.is(p.previousTaskDefinitionArn, tdArn(1));
  assert.match(p.taskDefinitionDiff, /- .*ft-a/);
  assert.match(p.taskDefinitionDiff, /\+ .*ft-b/);
  assert.equal(p.updateInput, {
    cluster: 'ferry-local',
    service: 'api',
    taskDefinition: 'api',
    deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
  });
  assert.not.ok('desiredCount' in p.updateInput, 'the count is the same: not sent');
  assert.equal(p.registerInput.tags?.find((t) => t.key === TAG_CONTENT)?.value, 'ft-b');
  const text = formatPlan(p).join('\n');
  assert.match(text, /would deploy .*ft-b to api \(now api:1\)/);
  assert.match(text, /UpdateService \{/);
  assert.match(text, /<registered revision of api>/);
  const report = diffReport({ plan: p, localTag: 'ft-b', liveTag: 'ft-a', imagePushed: false });
  assert.ok(report.changed);
  assert.is(report.next, 'nx run api:deploy');
  assert.not.ok(report.lines.some((l) => l.includes('migration')), 'no migrate configured: no migration line');
  // With a migration to run, diff says so (it runs before the service changes: migrate.ts).
  const withMigration = { ...p, migrate: { command: ['node', 'migrate.js'], timeoutSeconds: 60, environment: {}, launch: {} as never, fromTag: 'ft-a' } };
  assert.ok(
    diffReport({ plan: withMigration, localTag: 'ft-b', liveTag: 'ft-a', imagePushed: false }).lines.includes(
      'api: before the service changes, deploy would run the migration once with the new revision: node migrate.js (timeout 60 s, content tag ft-a -> ft-b).',
    ),
  );
});

test('only desiredCount differs -> never a deploy: the count alone, said in the plan and the diff', () => {
  const live = steady(IMG_A, { desiredCount: 1 });
  const p = planDeploy({ ...live, scalableTarget: null }, desired(IMG_A)(live));
  assert.ok(p.kind === 'up-to-date', p.kind);
  if (p.kind !== 'up-to-date') return;
  assert.equal(p.scale, { from: 1, to: 2 });
  assert.match(formatPlan(p).join('\n'), /would set the desired count only \(no deployment\)[\s\S]*UpdateService \{[\s\S]*"desiredCount": 2/);
  const report = diffReport({ plan: p, localTag: 'ft-a', liveTag: 'ft-a', imagePushed: true });
  assert.ok(report.changed);
  assert.match(report.lines.join('\n'), /only set the desired count 1 -> 2/);
});

test('desiredCount not declared for the environment -> never sent, not even with a new image', () => {
  const a = appConfig({ declared: appConfig().declared.filter((f) => f !== 'desiredCount') });
  const live = steady(IMG_A, { desiredCount: 7 });
  const same = planDeploy(live, desired(IMG_A, a)(live));
  assert.ok(same.kind === 'up-to-date' && !same.scale && !same.notes);
  const p = planDeploy(live, desired(IMG_B, a)(live));
  assert.ok(p.kind === 'update' && !('desiredCount' in p.updateInput));
});

test('a scalable target owns the count: never sent, and the plan says autoscaling manages it (min..max)', () => {
  const live: LiveState = { ...steady(IMG_A, { desiredCount: 5 }), scalableTarget: { minCapacity: 2, maxCapacity: 10, suspended: false } };
  const same = planDeploy(live, desired(IMG_A)(live));
  assert.ok(same.kind === 'up-to-date' && !same.scale);
  assert.equal(same.notes, ['desiredCount is managed by Application Auto Scaling (2..10): ferry leaves it at 5']);
  const p = planDeploy(live, desired(IMG_B)(live));
  assert.ok(p.kind === 'update' && !('desiredCount' in p.updateInput));
  assert.match(formatPlan(p).join('\n'), /managed by Application Auto Scaling \(2\.\.10\)/);
  assert.equal(countDecision({ desiredCount: 1 }, app, null), { send: 2, note: 'desiredCount 1 -> 2 (declared in deploy.json)' });
  assert.equal(countDecision({ desiredCount: 2 }, app, null), {});
});

test('a new image with a declared, different count and no scalable target: sent with the update', () => {
  const live = steady(IMG_A, { desiredCount: 1 });
  const p = planDeploy({ ...live, scalableTarget: null }, desired(IMG_B)(live));
  assert.ok(p.kind === 'update' && p.updateInput.desiredCount === 2 && !p.reasons.some((r) => /desiredCount/.test(r)));
});

test('launchType / capacityProviderStrategy of a created service', () => {
  assert.is(createServiceInput(app, awsEnv).launchType, 'FARGATE');
  assert.is(createServiceInput(appConfig({ launchType: 'EC2' }), awsEnv).launchType, 'EC2');
  const spot = createServiceInput(appConfig({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] }), awsEnv);
  assert.equal(spot.capacityProviderStrategy, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
  assert.not.ok('launchType' in spot, 'ECS takes one or the other');
});

test('a live service whose deploy.json does not declare logs: no log group ensured', () => {
  const logged = appConfig({ logs: {}, declared: appConfig().declared.filter((f) => f !== 'logs') });
  const live = steady(IMG_A);
  const p = planDeploy(live, desired(IMG_B, logged)(live));
  assert.ok(p.kind === 'update' && p.logGroup === undefined);
  const created = planDeploy(null, desired(IMG_B, logged)(null));
  assert.ok(created.kind === 'create-service' && created.logGroup?.name === '/ferry/ferry-local/api', 'a created service gets ferry\'s default logs');
});

test('environment change -> update', () => {
  const live = steady(IMG_A);
  const a2 = appConfig({ environment: { LOG_LEVEL: 'debug', CORS_ORIGIN: '*' } });
  const p = planDeploy(live, desired(IMG_A, a2)(live));
  assert.is(p.kind, 'update');
  assert.match(p.taskDefinitionDiff, /debug/);
});

test('same image still rolling out -> watch it, remembering the previous revision', () => {
  const live: LiveState = {
    service: service([deployment({ id: 'ecs-svc/2', rolloutState: 'IN_PROGRESS' }), deployment({ id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: tdArn(0) })]),
    taskDef: liveTd(IMG_A),
  };
  const p = planDeploy(live, desired(IMG_A)(live));
  assert.equal(p.kind === 'watch' && [p.deploymentId, p.previousTaskDefinitionArn], ['ecs-svc/2', tdArn(0)]);
});

test('same image but the PRIMARY FAILED -> update again', () => {
  const live: LiveState = { service: service([deployment({ rolloutState: 'FAILED' })]), taskDef: liveTd(IMG_A) };
  const p = planDeploy(live, desired(IMG_A)(live));
  assert.ok(p.kind === 'update' && /FAILED/.test(p.reasons.join()));
});

test('circuit-breaker setting change -> update', () => {
  const live = steady(IMG_A);
  const a2 = appConfig({ deployment: { ...app.deployment, circuitBreaker: { enable: true, rollback: false } } });
  const p = planDeploy(live, desired(IMG_A, a2)(live));
  assert.ok(p.kind === 'update' && p.reasons.includes('the deployment configuration differs'));
});

test('formatPlan for up-to-date and create-service', () => {
  const live = steady(IMG_A);
  assert.match(formatPlan(planDeploy(live, desired(IMG_A)(live)))[0], /up to date: api:1 runs .*ft-a and its rollout COMPLETED/);
  const c = formatPlan(planDeploy(null, desired(IMG_A)(null)));
  assert.match(c[0], /does not exist in cluster ferry-local; would ensure the cluster/);
  assert.match(c[1], /^RegisterTaskDefinition /);
  assert.match(c[2], /^CreateService /);
});

test('formatPlan never prints secret-looking environment values', () => {
  const a2 = appConfig({ environment: { API_TOKEN: 'hunter2-very-secret', LOG_LEVEL: 'info' } });
  const text = formatPlan(planDeploy(null, desired(IMG_A, a2)(null))).join('\n');
  assert.not.ok(text.includes('hunter2'), text);
  assert.match(text, /"value": "<masked sha256:[0-9a-f]{8}>"/);
  assert.match(text, /"value": "info"/);
});

test.run();
