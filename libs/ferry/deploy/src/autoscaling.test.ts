import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { applyAppDefaults, FerryError, type AutoscalingSettings } from '@ferry/core';
import type { ServiceScalingPolicy } from '@ferry/aws';
import { modelValidator } from '../../../../tools/sandbox/src/model-validation.ts';
import { albResourceLabel, formatScaling, initialCount, planScaling, requestsResourceLabel, requestsTargetGroup, scalingChanges, type LiveScaling } from './autoscaling.ts';
import { countDecision, createServiceInput, formatPlan, planDeploy, type LiveState } from './plan.ts';
import { desiredTaskDefinition } from './task-definition.ts';
import { diffReport } from './diff.ts';
import { appConfig, awsEnv, deployment, sandboxEnv, service } from './fixtures.test-support.ts';

const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/ferry-api/50dc6c495c0c9188';
const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ferry-api/943f017f100becff';
const LABEL = 'app/ferry-api/50dc6c495c0c9188/targetgroup/ferry-api/943f017f100becff';
const scaling = (over: Partial<AutoscalingSettings> = {}): AutoscalingSettings => ({ min: 1, max: 4, targetTracking: [{ metric: 'cpu', target: 60 }], ...over });
const app = appConfig({ autoscaling: scaling() });
const ferryCpu = (target = 60, over: Partial<NonNullable<ServiceScalingPolicy['targetTracking']>> = {}): ServiceScalingPolicy => ({
  policyName: 'ferry-cpu',
  policyType: 'TargetTrackingScaling',
  targetTracking: { targetValue: target, metricType: 'ECSServiceAverageCPUUtilization', ...over },
});
const steps = (live: LiveScaling | null, a = app, label?: string) => {
  const p = planScaling(a, awsEnv, live, label)!;
  return { register: p.register && [p.register.MinCapacity, p.register.MaxCapacity], put: p.put.map((x) => x.PolicyName), delete: p.delete, foreign: p.foreign };
};

test('planScaling: only what differs is written; ferry deletes only its own policies', () => {
  const target = { minCapacity: 1, maxCapacity: 4, suspended: false };
  const cases: [string, LiveScaling | null, ReturnType<typeof steps>][] = [
    ['no service yet: everything', null, { register: [1, 4], put: ['ferry-cpu'], delete: [], foreign: [] }],
    ['nothing registered', { target: null, policies: [] }, { register: [1, 4], put: ['ferry-cpu'], delete: [], foreign: [] }],
    ['as declared: nothing', { target, policies: [ferryCpu()] }, { register: undefined, put: [], delete: [], foreign: [] }],
    ['bounds differ', { target: { ...target, maxCapacity: 8 }, policies: [ferryCpu()] }, { register: [1, 4], put: [], delete: [], foreign: [] }],
    ['target value differs', { target, policies: [ferryCpu(70)] }, { register: undefined, put: ['ferry-cpu'], delete: [], foreign: [] }],
    ['scale-in disabled by hand on ferry\'s policy', { target, policies: [ferryCpu(60, { disableScaleIn: true })] }, { register: undefined, put: ['ferry-cpu'], delete: [], foreign: [] }],
    ['a cooldown not declared is not compared', { target, policies: [ferryCpu(60, { scaleInCooldown: 120 })] }, { register: undefined, put: [], delete: [], foreign: [] }],
    [
      'ferry\'s memory policy no longer declared: deleted; someone else\'s: left alone',
      { target, policies: [ferryCpu(), { ...ferryCpu(), policyName: 'ferry-memory' }, { policyName: 'platform-step', policyType: 'StepScaling' }] },
      { register: undefined, put: [], delete: ['ferry-memory'], foreign: ['platform-step'] },
    ],
  ];
  for (const [name, live, want] of cases) assert.equal(steps(live), want, name);
  assert.is(planScaling(appConfig(), awsEnv, { target, policies: [{ policyName: 'team-cpu', policyType: 'StepScaling' }] }), undefined, 'no autoscaling declared and nothing of ferry\'s: ferry manages nothing');
  assert.equal(steps({ target: { ...target, minCapacity: 0 }, policies: [ferryCpu()] }).register, [1, 4], 'a target that exists is updated');
  assert.is(planScaling(app, awsEnv, { target: { ...target, minCapacity: 0 }, policies: [] })!.register!.Tags, undefined, '...and not tagged: ferry did not register it');
  const cooled = appConfig({ autoscaling: scaling({ targetTracking: [{ metric: 'cpu', target: 60, scaleInCooldown: 300 }] }) });
  assert.equal(steps({ target, policies: [ferryCpu(60, { scaleInCooldown: 120 })] }, cooled).put, ['ferry-cpu'], 'a declared cooldown is');
});

test('the inputs ferry builds pass the vendored Application Auto Scaling model', () => {
  const { validate } = modelValidator('autoscaling');
  const a = appConfig({
    autoscaling: scaling({ min: 0, max: 10, targetTracking: [{ metric: 'cpu', target: 55.5, scaleInCooldown: 300, scaleOutCooldown: 30 }, { metric: 'memory', target: 80 }, { metric: 'requests', target: 1000 }] }),
  });
  const p = planScaling(a, awsEnv, null, LABEL)!;
  assert.equal(validate('RegisterScalableTarget', p.register), [], 'RegisterScalableTarget');
  assert.is(p.put.length, 3);
  for (const input of p.put) assert.equal(validate('PutScalingPolicy', input), [], input.PolicyName);
  // A target ferry creates carries its tag (RegisterScalableTargetRequest.Tags, a TagMap).
  assert.equal(p.register, { ServiceNamespace: 'ecs', ResourceId: 'service/ferry-staging/api', ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 0, MaxCapacity: 10, Tags: { 'ferry:app': 'api' } });
  const removal = planScaling(appConfig(), awsEnv, { target: { minCapacity: 0, maxCapacity: 10, suspended: false, arn: 'x' }, policies: [], targetTags: { 'ferry:app': 'api' }, scheduledActions: [] })!;
  assert.equal(validate('DeregisterScalableTarget', removal.deregister), [], 'DeregisterScalableTarget');
  assert.equal(p.put[2].TargetTrackingScalingPolicyConfiguration, { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: LABEL } });
  assert.equal(p.put[0].TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification, { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' });
});

test('deploy.json autoscaling refused before anything is built: schema and the API\'s rules', () => {
  const load = (autoscaling: unknown) => () => applyAppDefaults({ autoscaling } as never, '/w/apps/api/deploy.json', 'api');
  const refused = (autoscaling: unknown, re: RegExp) => {
    try {
      load(autoscaling)();
      assert.unreachable(JSON.stringify(autoscaling));
    } catch (e) {
      assert.instance(e, FerryError);
      assert.match((e as Error).message, re);
    }
  };
  refused({ min: 5, max: 2, targetTracking: [{ metric: 'cpu', target: 50 }] }, /autoscaling.min \(5\) must not be greater than autoscaling.max \(2\)/);
  refused({ min: 1, max: 2, targetTracking: [{ metric: 'cpu', target: 50 }, { metric: 'cpu', target: 70 }] }, /repeats the metric "cpu"/);
  refused({ min: 1, max: 2, targetTracking: [{ metric: 'memory', target: 150 }] }, /percentage of memory .*at most 100/);
  assert.equal(load({ min: 1, max: 2, targetTracking: [{ metric: 'requests', target: 5000 }] })().autoscaling?.targetTracking, [{ metric: 'requests', target: 5000 }]);
});

test('requests: needs the app\'s target group and an Application Load Balancer in front of it', () => {
  const req = appConfig({ autoscaling: scaling({ targetTracking: [{ metric: 'requests', target: 500 }] }) });
  assert.throws(() => requestsTargetGroup(req, awsEnv), (e: Error) => /needs the app's load balancer.*"loadBalancer": \{ "targetGroupArn"/.test(e.message));
  assert.is(requestsTargetGroup({ ...req, loadBalancer: { targetGroupArn: TG } }, awsEnv), TG);
  assert.is(requestsTargetGroup(app, awsEnv), undefined, 'no requests policy: no target group needed');
  assert.is(albResourceLabel(LB, TG), LABEL);
  assert.is(requestsResourceLabel(req, TG, { targetGroupArn: TG, name: 'ferry-api', loadBalancerArns: [LB] }), LABEL);
  assert.throws(() => requestsResourceLabel(req, TG, { targetGroupArn: TG, name: 'ferry-api', loadBalancerArns: [] }), /no Application Load Balancer forwards to it/);
  assert.throws(() => requestsResourceLabel(req, TG, null), /does not exist/);
  assert.throws(() => albResourceLabel(LB.replace('/app/', '/net/'), TG), /Application Load Balancer ARN/);
});

test('desired count under autoscaling: never sent to an existing service; a new one starts within min..max', () => {
  const declared = appConfig({ autoscaling: scaling({ min: 2, max: 4 }), desiredCount: 1, declared: ['autoscaling', 'desiredCount'] });
  const d = countDecision({ desiredCount: 3 }, declared, null);
  assert.is(d.send, undefined);
  assert.match(d.note ?? '', /managed by autoscaling \(deploy.json: 2..4\): ferry leaves it at 3/);
  assert.is(initialCount(declared), 2);
  assert.is(initialCount({ ...declared, desiredCount: 9 }), 4);
  assert.is(initialCount(appConfig({ desiredCount: 9 })), 9);
  assert.is(createServiceInput(declared, sandboxEnv).desiredCount, 2);
});

test('the plan carries the scaling writes: up to date with a scaling change is a change for diff and --dry-run', () => {
  const image = '127.0.0.1:5000/ferry-sample/api:ft-a';
  const a = appConfig({ autoscaling: scaling() });
  const registerInput = desiredTaskDefinition(null, a, sandboxEnv, image, { contentTag: 'ft-a' });
  const { tags: _t, ...td } = registerInput;
  const taskDef = { taskDefinition: { ...td, taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:1', revision: 1, status: 'ACTIVE' }, tags: registerInput.tags as { key: string; value: string }[] };
  const live = (scalingLive: LiveScaling): LiveState => ({ service: service([deployment({})], { desiredCount: 3 }), taskDef: taskDef as LiveState['taskDef'] & object, scaling: scalingLive });
  const desired = { app: a, env: sandboxEnv, imageRef: image, contentTag: 'ft-a', registerInput };
  const before = live({ target: null, policies: [] });
  const p = planDeploy(before, desired);
  assert.is(p.kind, 'up-to-date');
  assert.ok(scalingChanges(p.scaling));
  assert.ok(p.kind === 'up-to-date' && !p.scale, 'the count is autoscaling\'s: not set');
  const text = formatPlan(p).join('\n');
  assert.match(text, /then, with the service in place:/);
  assert.match(text, /RegisterScalableTarget \{/);
  assert.match(text, /PutScalingPolicy \{[\s\S]*"PolicyName": "ferry-cpu"/);
  const report = diffReport({ plan: p, localTag: 'ft-a', liveTag: 'ft-a', imagePushed: true });
  assert.ok(report.changed);
  assert.match(report.lines.join('\n'), /deploy would only update autoscaling/);
  const after = live({ target: { minCapacity: 1, maxCapacity: 4, suspended: false }, policies: [ferryCpu(), { policyName: 'mine', policyType: 'StepScaling' }] });
  const q = planDeploy(after, desired);
  assert.not.ok(scalingChanges(q.scaling));
  assert.not.ok(diffReport({ plan: q, localTag: 'ft-a', liveTag: 'ft-a', imagePushed: true }).changed);
  assert.equal(formatScaling(q.scaling), ["autoscaling: the scalable target and ferry's policies are as declared", 'autoscaling: policy mine was not created by ferry: left alone']);
});

const SERVICE_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/ferry-staging/api';
const marked = { serviceArn: SERVICE_ARN, tags: [{ key: 'ferry:autoscaling', value: 'true' }] };
const unmarked = { serviceArn: SERVICE_ARN, tags: [{ key: 'ferry:app', value: 'api' }] };

test('autoscaling removed from deploy.json: ferry removes its policies, and the target only when it registered it and nothing else hangs on it', () => {
  const target = { minCapacity: 1, maxCapacity: 4, suspended: false, arn: 'arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0123abcd' };
  const ferrys = { 'ferry:app': 'api' };
  const teamPolicy: ServiceScalingPolicy = { policyName: 'team-memory', policyType: 'TargetTrackingScaling', targetTracking: { targetValue: 80, metricType: 'ECSServiceAverageMemoryUtilization' } };
  const removal = (live: LiveScaling | null, svc: typeof marked | null) => {
    const p = planScaling(appConfig(), awsEnv, live, undefined, svc ?? undefined);
    return p && { declared: p.declared, delete: p.delete, deregister: !!p.deregister, kept: p.kept?.replace(/:.*/, ''), serviceTag: p.serviceTag?.action, foreign: p.foreign };
  };
  type Row = [string, LiveScaling | null, typeof marked | null, ReturnType<typeof removal>];
  const none = { declared: false, delete: [], deregister: false, kept: undefined, foreign: [] };
  const cases: Row[] = [
    ['nothing of ferry\'s and no marker: no plan, nothing read', { target, policies: [teamPolicy] }, unmarked, undefined],
    ['marker only (everything already gone): the marker goes', { target: null, policies: [] }, marked, { ...none, serviceTag: 'untag' }],
    [
      'ferry\'s target and policy: both go, then the marker',
      { target, policies: [ferryCpu()], targetTags: ferrys, scheduledActions: [] },
      marked,
      { ...none, delete: ['ferry-cpu'], deregister: true, serviceTag: 'untag' },
    ],
    [
      'ferry\'s target carries a policy ferry did not create: ferry\'s policy goes, the target (and the marker) stay',
      { target, policies: [ferryCpu(), teamPolicy], targetTags: ferrys, scheduledActions: [] },
      marked,
      { ...none, delete: ['ferry-cpu'], kept: 'was registered by ferry but also carries policy team-memory, which deregistering would delete', serviceTag: undefined, foreign: ['team-memory'] },
    ],
    [
      'ferry\'s target has a scheduled action: kept',
      { target, policies: [ferryCpu()], targetTags: { ...ferrys, team: 'a' }, scheduledActions: ['nightly'] },
      marked,
      { ...none, delete: ['ferry-cpu'], kept: 'was registered by ferry but also carries scheduled action nightly, which deregistering would delete', serviceTag: undefined },
    ],
    [
      'a target without ferry\'s tag (a user\'s, Terraform\'s): ferry\'s policy goes, the target stays',
      { target, policies: [ferryCpu()], targetTags: { 'terraform:owner': 'infra' } },
      marked,
      { ...none, delete: ['ferry-cpu'], kept: 'was not registered by ferry (no ferry', serviceTag: 'untag' },
    ],
    ['ferry\'s policies found without a marker (read anyway): deleted, no tag to remove', { target, policies: [ferryCpu()], targetTags: {} }, null, { ...none, delete: ['ferry-cpu'], kept: 'was not registered by ferry (no ferry', serviceTag: undefined }],
  ];
  for (const [name, live, svc, want] of cases) assert.equal(removal(live, svc), want, name);
  // Declared: the marker is put on a service without it, once.
  assert.is(planScaling(app, awsEnv, { target, policies: [ferryCpu()] }, undefined, unmarked)?.serviceTag?.action, 'tag');
  assert.is(planScaling(app, awsEnv, { target, policies: [ferryCpu()] }, undefined, marked)?.serviceTag, undefined);
  assert.ok(createServiceInput(app, sandboxEnv).tags?.some((t) => t.key === 'ferry:autoscaling'), 'a service created with autoscaling is marked from the start');
  assert.not.ok(createServiceInput(appConfig(), sandboxEnv).tags?.some((t) => t.key === 'ferry:autoscaling'));
});

test('the removal in --dry-run, diff and the deploy: each call with its input, what stays and why; the count is deploy.json\'s again', () => {
  const image = '127.0.0.1:5000/ferry-sample/api:ft-a';
  const a = appConfig({ desiredCount: 1, declared: ['desiredCount'] });
  const registerInput = desiredTaskDefinition(null, a, sandboxEnv, image, { contentTag: 'ft-a' });
  const { tags: _t, ...td } = registerInput;
  const taskDef = { taskDefinition: { ...td, taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:1', revision: 1, status: 'ACTIVE' }, tags: registerInput.tags as { key: string; value: string }[] };
  const target = { minCapacity: 2, maxCapacity: 4, suspended: false, arn: 'arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target/01' };
  const live = (scalingLive: LiveScaling): LiveState => ({
    service: service([deployment({})], { desiredCount: 3, ...marked }),
    taskDef: taskDef as LiveState['taskDef'] & object,
    scaling: scalingLive,
    scalableTarget: scalingLive.target,
  });
  const desired = { app: a, env: sandboxEnv, imageRef: image, contentTag: 'ft-a', registerInput };
  const p = planDeploy(live({ target, policies: [ferryCpu(), { policyName: 'team-step', policyType: 'StepScaling' }], targetTags: {}, scheduledActions: [] }), desired);
  assert.is(p.kind, 'up-to-date');
  assert.ok(scalingChanges(p.scaling));
  const text = formatPlan(p).join('\n');
  assert.match(text, /autoscaling: no longer declared in deploy.json: ferry removes what it created and leaves the rest/);
  assert.match(text, /policy ferry-cpu is ferry's and no longer declared: DeleteScalingPolicy \{"PolicyName":"ferry-cpu"/);
  assert.match(text, /scalable target service\/ferry-local\/api 2..4 was not registered by ferry \(no ferry:app tag\): left as it is/);
  assert.match(text, /policy team-step was not created by ferry: left alone/);
  assert.match(text, /UntagResource \{"resourceArn":"arn:aws:ecs:eu-west-1:123456789012:service\/ferry-staging\/api","tagKeys":\["ferry:autoscaling"\]\}/);
  assert.not.match(text, /DeregisterScalableTarget/);
  // Someone else's target still owns the count.
  assert.ok(p.kind === 'up-to-date' && !p.scale);
  assert.match(diffReport({ plan: p, localTag: 'ft-a', liveTag: 'ft-a', imagePushed: true }).lines.join('\n'), /deploy would only update autoscaling/);
  // ferry's own target: deregistered, and deploy.json's count is sent again.
  const q = planDeploy(live({ target, policies: [ferryCpu()], targetTags: { 'ferry:app': 'api' }, scheduledActions: [] }), desired);
  assert.match(formatPlan(q).join('\n'), /scalable target service\/ferry-local\/api 2..4 was registered by ferry: DeregisterScalableTarget \{"ServiceNamespace":"ecs","ResourceId":"service\/ferry-local\/api","ScalableDimension":"ecs:service:DesiredCount"\}/);
  assert.ok(q.kind === 'up-to-date' && q.scale?.to === 1, 'the target goes with this deploy: the declared count is set');
});

test.run();
