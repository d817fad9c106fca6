// The load balancer in plans, timeouts and health, as table tests of the pure parts. AWS behaviours
// relied on: UpdateService can replace `loadBalancers` and `healthCheckGracePeriodSeconds` of a
// rolling-update service (ECS API reference, UpdateService:
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_UpdateService.html); ALB target group
// defaults interval 30 s, timeout 5 s, healthy threshold 5, deregistration delay 300 s (ELBv2
// CreateTargetGroup and target group attributes, libs/ferry/core/models/elbv2.json and
// https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServiceInput, desiredLoadBalancers, loadBalancerChanges, planDeploy, TAG_URL } from './plan.ts';
import { desiredTaskDefinition } from './task-definition.ts';
import { describeTiming, provisionedName, rolloutTimeoutMs, targetGroupRolloutSeconds } from './load-balancer.ts';
import { evaluateTargetHealth } from './health.ts';
import { appConfig, awsEnv, deployment, sandboxEnv, service } from './fixtures.test-support.ts';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const TG2 = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api2/fedcba9876543210';
const withTg = (grace?: number) => appConfig({ loadBalancer: { targetGroupArn: TG, ...(grace !== undefined && { healthCheckGracePeriodSeconds: grace }) } });

test('desiredLoadBalancers: the configured (or provisioned) target group; none without one, in the sandbox too (ECS requires a target group)', () => {
  assert.equal(desiredLoadBalancers(withTg(), awsEnv), [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }]);
  assert.equal(desiredLoadBalancers(appConfig({ loadBalancer: { targetGroupArn: TG, containerName: 'proxy', containerPort: 8080 } }), awsEnv), [{ targetGroupArn: TG, containerName: 'proxy', containerPort: 8080 }]);
  assert.is(desiredLoadBalancers(appConfig(), sandboxEnv), undefined);
  assert.is(desiredLoadBalancers(appConfig(), awsEnv), undefined);
  assert.is(desiredLoadBalancers(appConfig({ containerPort: undefined }), sandboxEnv), undefined, 'a worker has none');
});

test('createServiceInput attaches the target group with the grace period and records the URL tag', () => {
  const input = createServiceInput(withTg(30), awsEnv, 'http://api-lb-1.eu-west-1.elb.amazonaws.com');
  assert.equal(input.loadBalancers, [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }]);
  assert.is(input.healthCheckGracePeriodSeconds, 30);
  assert.ok(input.tags!.some((t) => t.key === TAG_URL && t.value === 'http://api-lb-1.eu-west-1.elb.amazonaws.com'));
  assert.is(createServiceInput(appConfig(), awsEnv).loadBalancers, undefined);
});

const cases: [string, Parameters<typeof loadBalancerChanges>[0], ReturnType<typeof appConfig>, string[]][] = [
  ['same target group', { loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }] }, withTg(), []],
  ['none live', { loadBalancers: [] }, withTg(), [`loadBalancers (none) -> ${TG} -> api:3000`]],
  ['another target group', { loadBalancers: [{ targetGroupArn: TG2, containerName: 'api', containerPort: 3000 }] }, withTg(), [`loadBalancers ${TG2} -> api:3000 -> ${TG} -> api:3000`]],
  ['grace period', { loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }], healthCheckGracePeriodSeconds: 0 }, withTg(20), ['healthCheckGracePeriodSeconds 0 -> 20']],
  ['the config names none: left alone', { loadBalancers: [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }] }, appConfig(), []],
];
for (const [label, live, app, want] of cases) test(`loadBalancerChanges: ${label}`, () => assert.equal(loadBalancerChanges(live, app, awsEnv), want));

test('a changed target group plans an UpdateService with loadBalancers (and shows as a reason)', () => {
  const app = withTg(15);
  const img = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:ft-a';
  const registerInput = desiredTaskDefinition(null, app, awsEnv, img, { contentTag: 'ft-a' });
  const live = { service: service([deployment({})], { loadBalancers: [{ targetGroupArn: TG2, containerName: 'api', containerPort: 3000 }] }), taskDef: { taskDefinition: { ...registerInput, taskDefinitionArn: 'arn:aws:ecs:eu-west-1:1:task-definition/api:1' } as never, tags: registerInput.tags as never } };
  const p = planDeploy(live, { app, env: awsEnv, imageRef: img, contentTag: 'ft-a', registerInput });
  assert.is(p.kind, 'update');
  if (p.kind !== 'update') return;
  assert.equal(p.updateInput.loadBalancers, [{ targetGroupArn: TG, containerName: 'api', containerPort: 3000 }]);
  assert.is(p.updateInput.healthCheckGracePeriodSeconds, 15);
  assert.ok(p.reasons.some((r) => r.startsWith('loadBalancers ')), p.reasons.join('; '));
  assert.is(p.recordUrl, undefined, 'no URL known: nothing to record');
  // With the new target group's URL (read from ELBv2), the update records it as the ferry:url tag
  // after the rollout, as CreateService does: health-check, smoke-test and ${app:…url} read it.
  const withUrl = planDeploy(live, { app, env: awsEnv, imageRef: img, contentTag: 'ft-a', registerInput, serviceUrl: 'http://alb.example:80' });
  assert.is(withUrl.kind === 'update' && withUrl.recordUrl, 'http://alb.example:80');
  const tagged = { ...live, service: { ...live.service, tags: [{ key: TAG_URL, value: 'http://alb.example:80' }] } };
  const again = planDeploy(tagged, { app, env: awsEnv, imageRef: img, contentTag: 'ft-a', registerInput, serviceUrl: 'http://alb.example:80' });
  assert.is(again.kind === 'update' && again.recordUrl, undefined, 'already recorded');
});

test('rollout timeout: the default grows by the target group timing, an explicit one does not', () => {
  const defaults = { targetGroupArn: TG, name: 'api', healthCheckPath: '/', intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, deregistrationDelaySeconds: 300 };
  assert.is(targetGroupRolloutSeconds(defaults), 455);
  assert.is(rolloutTimeoutMs(appConfig(), 600_000, defaults), 1_055_000);
  assert.is(rolloutTimeoutMs(appConfig(), 600_000, undefined), 600_000);
  const explicit = appConfig({ deployment: { ...appConfig().deployment, timeoutSeconds: 300, timeoutExplicit: true } });
  assert.is(rolloutTimeoutMs(explicit, 300_000, defaults), 300_000);
  const msg = describeTiming(defaults);
  for (const part of ['every 30 s', 'timeout 5 s', 'healthy after 5 passes', 'deregistration_delay.timeout_seconds 300 s']) assert.ok(msg.includes(part), `${part} in: ${msg}`);
});

test('provisionedName: cluster and service, ELBv2 rules (≤ 32, letters, digits, hyphens)', () => {
  assert.is(provisionedName({ cluster: 'ferry-local' }, { service: 'api' }), 'ferry-local-api');
  assert.is(provisionedName({ cluster: 'c' }, { service: 'my_service' }), 'c-my-service');
  const long = provisionedName({ cluster: 'a-very-long-cluster-name' }, { service: 'and-a-long-service-name' });
  assert.ok(long.length <= 32 && /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(long), long);
  assert.is.not(long, provisionedName({ cluster: 'a-very-long-cluster-name' }, { service: 'and-a-long-service-nam2' }));
});

test('evaluateTargetHealth: desired healthy targets, draining ones do not count against it', () => {
  assert.equal(evaluateTargetHealth([{ id: '10.0.0.1', port: 3000, state: 'healthy' }, { id: '10.0.0.2', port: 3000, state: 'draining' }], 1), { ok: true, summary: 'targets: 1 healthy, 1 draining' });
  const bad = evaluateTargetHealth([{ id: '10.0.0.1', port: 3000, state: 'unhealthy', description: 'Health checks failed with these codes: [502]' }], 1);
  assert.not.ok(bad.ok);
  assert.is(bad.problem, '0/1 targets healthy in the target group: 10.0.0.1:3000 unhealthy (Health checks failed with these codes: [502])');
});

test.run();
