import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateFactory } from '../state.ts';
import type { EcsServicesPort } from '../context.ts';
import { createAutoScalingService } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-autoscaling-'));
// The ECS services these tests register targets on: what the ECS part answers (context.ts EcsServicesPort).
const SERVICES = new Set(['c/api', 'c/web', 'c/new', 'p/api', 'q/api', 't/api']);
const withServices: EcsServicesPort = { status: (c, s) => (SERVICES.has(`${c}/${s}`) ? 'ACTIVE' : undefined) };
const open = (ecsServices: EcsServicesPort | null = withServices) =>
  createAutoScalingService({ state: stateFactory(dir), region: 'us-east-1', accountId: '000000000000', ...(ecsServices && { ecsServices }) });
const failure = async (f: () => unknown) => {
  try {
    await f();
    return { name: 'no error', message: '' };
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
};
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ecs = (id = 'service/c/api') => ({ ServiceNamespace: 'ecs', ResourceId: id, ScalableDimension: 'ecs:service:DesiredCount' });

// Shapes, required members and error codes: AWS's service models, application-autoscaling/service-2.json
// (RegisterScalableTargetRequest, DescribeScalableTargetsRequest, DeregisterScalableTarget errors).
test('register, describe (filtered by resource id and dimension), update one bound, deregister', async () => {
  const as = open();
  const r = (await as.handlers.RegisterScalableTarget({ ...ecs(), MinCapacity: 2, MaxCapacity: 10 })) as { ScalableTargetARN: string };
  assert.match(r.ScalableTargetARN, /^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]+$/);
  await as.handlers.RegisterScalableTarget({ ...ecs('service/c/web'), MinCapacity: 1, MaxCapacity: 1 });
  const describe = async (ids?: string[]) =>
    ((await as.handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ...(ids && { ResourceIds: ids }), ScalableDimension: 'ecs:service:DesiredCount' })) as { ScalableTargets: { ResourceId: string; MinCapacity: number; MaxCapacity: number }[] }).ScalableTargets;
  assert.equal((await describe()).map((t) => t.ResourceId), ['service/c/api', 'service/c/web']);
  assert.equal((await describe(['service/c/api'])).map((t) => [t.MinCapacity, t.MaxCapacity]), [[2, 10]]);
  // Updating an existing target: the bounds not given are kept.
  const again = (await as.handlers.RegisterScalableTarget({ ...ecs(), MaxCapacity: 20 })) as { ScalableTargetARN: string };
  assert.is(again.ScalableTargetARN, r.ScalableTargetARN);
  assert.equal((await describe(['service/c/api'])).map((t) => [t.MinCapacity, t.MaxCapacity]), [[2, 20]]);
  // Persisted: a sandbox restart finds it.
  assert.equal((await open().handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: ['service/c/api'] }) as { ScalableTargets: unknown[] }).ScalableTargets.length, 1);
  await as.handlers.DeregisterScalableTarget(ecs());
  assert.equal(await describe(['service/c/api']), []);
  assert.is((await failure(() => as.handlers.DeregisterScalableTarget(ecs()))).name, 'ObjectNotFoundException');
});

test('validation: the model (required members, enums) and the API rules for ECS targets', async () => {
  const as = open();
  const missing = await failure(() => as.handlers.DescribeScalableTargets({}));
  assert.is(missing.name, 'ValidationException');
  assert.match(missing.message, /ServiceNamespace/);
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs(), ScalableDimension: 'ecs:service:Nope', MinCapacity: 1, MaxCapacity: 2 }))).name, 'ValidationException');
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('api'), MinCapacity: 1, MaxCapacity: 2 }))).name, 'ValidationException');
  assert.match((await failure(() => as.handlers.RegisterScalableTarget(ecs('service/c/new')))).message, /MinCapacity and MaxCapacity are required/);
  assert.match((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('service/c/new'), MinCapacity: 5, MaxCapacity: 2 }))).message, /cannot be greater/);
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('service/c/new'), MinCapacity: '1', MaxCapacity: 2 }))).name, 'SerializationException');
});

const cpuPolicy = (id = 'service/c/api', name = 'ferry-cpu', target = 60) => ({
  ...ecs(id),
  PolicyName: name,
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingScalingPolicyConfiguration: { TargetValue: target, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleInCooldown: 300 },
});
type Policies = { ScalingPolicies: { PolicyName: string; PolicyARN: string; ResourceId: string; TargetTrackingScalingPolicyConfiguration?: { TargetValue: number } }[]; NextToken?: string };

// PutScalingPolicy, DescribeScalingPolicies, DeleteScalingPolicy: shapes and errors from the model
// (PutScalingPolicyRequest, ScalingPolicy, DeleteScalingPolicy errors); behaviour from the API reference:
// a policy needs a registered target (API_PutScalingPolicy: ObjectNotFoundException), putting a policy
// of an existing name updates it, DeregisterScalableTarget deletes the target's policies.
test('scaling policies: put (create, then update in place), describe (filters, pages of 10), delete', async () => {
  const as = open();
  await as.handlers.RegisterScalableTarget({ ...ecs('service/p/api'), MinCapacity: 1, MaxCapacity: 4 });
  const put = (await as.handlers.PutScalingPolicy(cpuPolicy('service/p/api'))) as { PolicyARN: string; Alarms: { AlarmName: string }[] };
  assert.match(put.PolicyARN, /^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/p\/api:policyName\/ferry-cpu$/);
  assert.is(put.Alarms.length, 2, 'target tracking answers with its AlarmHigh and AlarmLow');
  const again = (await as.handlers.PutScalingPolicy(cpuPolicy('service/p/api', 'ferry-cpu', 70))) as { PolicyARN: string };
  assert.is(again.PolicyARN, put.PolicyARN, 'same name: the policy is updated, not duplicated');
  const describe = async (i: Record<string, unknown> = {}) => (await as.handlers.DescribeScalingPolicies({ ServiceNamespace: 'ecs', ResourceId: 'service/p/api', ...i })) as Policies;
  const listed = await describe();
  assert.equal(listed.ScalingPolicies.map((p) => [p.PolicyName, p.TargetTrackingScalingPolicyConfiguration?.TargetValue]), [['ferry-cpu', 70]]);
  for (let n = 0; n < 11; n++) await as.handlers.PutScalingPolicy(cpuPolicy('service/p/api', `other-${String(n).padStart(2, '0')}`));
  const first = await describe();
  assert.is(first.ScalingPolicies.length, 10, 'default page: 10');
  assert.is((await describe({ NextToken: first.NextToken })).ScalingPolicies.length, 2);
  assert.equal((await describe({ PolicyNames: ['ferry-cpu'] })).ScalingPolicies.map((p) => p.PolicyName), ['ferry-cpu']);
  assert.is((await failure(() => describe({ MaxResults: 11 }))).name, 'ValidationException');
  await as.handlers.DeleteScalingPolicy({ ...ecs('service/p/api'), PolicyName: 'ferry-cpu' });
  assert.equal((await describe({ PolicyNames: ['ferry-cpu'] })).ScalingPolicies, []);
  const gone = await failure(() => as.handlers.DeleteScalingPolicy({ ...ecs('service/p/api'), PolicyName: 'ferry-cpu' }));
  assert.is(gone.name, 'ObjectNotFoundException');
  // Deregistering the target deletes its policies.
  await as.handlers.DeregisterScalableTarget(ecs('service/p/api'));
  assert.equal((await describe()).ScalingPolicies, []);
});

test('scaling policies refused like AWS: no target, missing configuration, metric rules, model violations', async () => {
  const as = open();
  const noTarget = await failure(() => as.handlers.PutScalingPolicy(cpuPolicy('service/q/none')));
  assert.is(noTarget.name, 'ObjectNotFoundException');
  assert.match(noTarget.message, /No scalable target registered .*service\/q\/none/);
  await as.handlers.RegisterScalableTarget({ ...ecs('service/q/api'), MinCapacity: 1, MaxCapacity: 4 });
  const refused = async (over: Record<string, unknown>, re: RegExp, name = 'ValidationException') => {
    const e = await failure(() => as.handlers.PutScalingPolicy({ ...cpuPolicy('service/q/api'), ...over }));
    assert.is(e.name, name, JSON.stringify(over));
    assert.match(e.message, re);
  };
  const tt = (spec: Record<string, unknown>) => ({ TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, PredefinedMetricSpecification: spec } });
  await refused({ TargetTrackingScalingPolicyConfiguration: undefined }, /TargetTrackingScalingPolicyConfiguration is required/);
  await refused(tt({ PredefinedMetricType: 'ALBRequestCountPerTarget' }), /ResourceLabel is required/);
  await refused(tt({ PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: 'targetgroup/x/1' }), /Invalid ResourceLabel/);
  await refused(tt({ PredefinedMetricType: 'ECSServiceAverageCPUUtilization', ResourceLabel: 'app/lb/1/targetgroup/tg/2' }), /only be specified for .*ALBRequestCountPerTarget/);
  await refused(tt({ PredefinedMetricType: 'DynamoDBReadCapacityUtilization' }), /Unsupported metric type/);
  // The model: an enum value it does not list, a required member missing, a wrong JSON type.
  await refused({ PolicyType: 'Sometimes' }, /PolicyType|policyType/);
  await refused(tt({ PredefinedMetricType: 'CPU' }), /PredefinedMetricType|predefinedMetricType/);
  await refused({ TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }, /TargetValue|targetValue/);
  await refused({ PolicyName: undefined }, /PolicyName|policyName/);
  await refused({ TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, ScaleInCooldown: '300' } }, /./, 'SerializationException');
  const label = 'app/ferry-api/0123456789abcdef/targetgroup/ferry-api/fedcba9876543210';
  await as.handlers.PutScalingPolicy({ ...cpuPolicy('service/q/api', 'ferry-requests'), ...tt({ PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: label }) });
});

// An ECS resource id whose service does not exist: ValidationException "ECS service doesn't exist: <id>".
// Sources (no AWS reference page states it): moto's application-autoscaling backend
// (_ecs_service_exists_for_target raises that text), the Terraform AWS provider's
// aws_appautoscaling_target, which retries RegisterScalableTarget on a ValidationException containing
// "ECS service doesn't exist" while a new service propagates, and spinnaker/spinnaker#4371.
test('RegisterScalableTarget refuses an ECS service that does not exist (ValidationException)', async () => {
  const missing = await failure(() => open().handlers.RegisterScalableTarget({ ...ecs('service/c/missing'), MinCapacity: 1, MaxCapacity: 2 }));
  assert.is(missing.name, 'ValidationException');
  assert.is(missing.message, "ECS service doesn't exist: service/c/missing");
  // Another cluster's service of the same name is another service.
  assert.is((await failure(() => open().handlers.RegisterScalableTarget({ ...ecs('service/other/api'), MinCapacity: 1, MaxCapacity: 2 }))).name, 'ValidationException');
  // A sandbox without its ECS part has no service at all.
  assert.match((await failure(() => open(null).handlers.RegisterScalableTarget({ ...ecs('service/c/api'), MinCapacity: 1, MaxCapacity: 2 }))).message, /ECS service doesn't exist/);
  assert.equal(((await open().handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: ['service/c/missing'] })) as { ScalableTargets: unknown[] }).ScalableTargets, [], 'nothing registered');
});

// Tags of scalable targets: RegisterScalableTarget `Tags` ("to tag the scalable target when it is
// created. To tag an existing scalable target, use the TagResource operation"), TagResource (adds or
// edits), UntagResource, ListTagsForResource; all three answer ResourceNotFoundException for an ARN
// that names no target, and the model's AmazonResourceName pattern and required members apply
// (service-2.json: TagResourceRequest, UntagResourceRequest, ListTagsForResourceRequest). DescribeScheduledActions
// answers an empty list: the sandbox takes no PutScheduledAction.
test('scalable target tags: on registration, TagResource, UntagResource, ListTagsForResource, gone with the target', async () => {
  const as = open();
  const { ScalableTargetARN: arn } = (await as.handlers.RegisterScalableTarget({ ...ecs('service/t/api'), MinCapacity: 1, MaxCapacity: 3, Tags: { 'ferry:app': 'api' } })) as { ScalableTargetARN: string };
  const tags = async () => ((await as.handlers.ListTagsForResource({ ResourceARN: arn })) as { Tags: Record<string, string> }).Tags;
  assert.equal(await tags(), { 'ferry:app': 'api' });
  // Updating the target does not tag it.
  await as.handlers.RegisterScalableTarget({ ...ecs('service/t/api'), MaxCapacity: 4, Tags: { other: 'x' } });
  assert.equal(await tags(), { 'ferry:app': 'api' });
  const described = ((await as.handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: ['service/t/api'] })) as { ScalableTargets: Record<string, unknown>[] }).ScalableTargets[0]!;
  assert.is(described.Tags, undefined, 'ScalableTarget has no Tags member');
  await as.handlers.TagResource({ ResourceARN: arn, Tags: { team: 'a', 'ferry:app': 'api2' } });
  assert.equal(await tags(), { 'ferry:app': 'api2', team: 'a' });
  await as.handlers.UntagResource({ ResourceARN: arn, TagKeys: ['ferry:app', 'absent'] });
  assert.equal(await tags(), { team: 'a' });
  assert.equal(await as.handlers.DescribeScheduledActions({ ServiceNamespace: 'ecs', ResourceId: 'service/t/api' }), { ScheduledActions: [] });
  // Refusals: the model (required members, the ARN pattern), then an ARN that names no target.
  assert.is((await failure(() => as.handlers.TagResource({ ResourceARN: arn }))).name, 'ValidationException');
  assert.is((await failure(() => as.handlers.ListTagsForResource({ ResourceARN: 'arn:aws:ecs:us-east-1:000000000000:service/t/api' }))).name, 'ValidationException');
  assert.is((await failure(() => as.handlers.DescribeScheduledActions({}))).name, 'ValidationException');
  await as.handlers.DeregisterScalableTarget(ecs('service/t/api'));
  for (const call of [() => as.handlers.ListTagsForResource({ ResourceARN: arn }), () => as.handlers.TagResource({ ResourceARN: arn, Tags: { a: 'b' } }), () => as.handlers.UntagResource({ ResourceARN: arn, TagKeys: ['team'] })]) {
    assert.is((await failure(call)).name, 'ResourceNotFoundException');
  }
  // Registered again: a new target, without the old one's tags.
  const again = (await as.handlers.RegisterScalableTarget({ ...ecs('service/t/api'), MinCapacity: 1, MaxCapacity: 3 })) as { ScalableTargetARN: string };
  assert.equal(((await as.handlers.ListTagsForResource({ ResourceARN: again.ScalableTargetARN })) as { Tags: Record<string, string> }).Tags, {});
});

test.run();
