import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { describeDeployments, deploymentViews, rollbackTrigger, eventsSince, evaluateRollout, expectedRolloutMs, pollDelayMs, rolloutDurationMs, TAG_ROLLOUT_MS, toMs, type RolloutSnapshot, type RolloutVerdict } from './rollout.ts';
import { deployment, service, tdArn } from './fixtures.test-support.ts';

const OURS = 'ecs-svc/2';
const rollingBack = 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.';

const cases: Array<[string, RolloutSnapshot, RolloutVerdict['kind'], RegExp?]> = [
  ['service MISSING', {}, 'failed', /no longer exists/],
  ['service DRAINING', { service: service([deployment({ id: OURS })], { status: 'DRAINING' }) }, 'failed', /DRAINING/],
  [
    'just updated: ours PRIMARY IN_PROGRESS with 0 tasks, old ACTIVE',
    { service: service([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 0, desiredCount: 0, rolloutState: 'IN_PROGRESS' }), deployment({ status: 'ACTIVE' })]) },
    'in-progress',
  ],
  [
    'ours running but old not drained yet',
    { service: service([deployment({ id: OURS, rolloutState: 'IN_PROGRESS' }), deployment({ status: 'ACTIVE', runningCount: 1 })]) },
    'in-progress',
  ],
  ['ours PRIMARY COMPLETED, all running', { service: service([deployment({ id: OURS })]) }, 'completed'],
  [
    'COMPLETED but a task is missing (running < desired)',
    { service: service([deployment({ id: OURS, runningCount: 1 })], { runningCount: 1 }) },
    'in-progress',
  ],
  [
    'ours FAILED while still PRIMARY (breaker without rollback)',
    { service: service([deployment({ id: OURS, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.', runningCount: 0 }), deployment({ status: 'ACTIVE' })]) },
    'failed',
    /tasks failed to start/,
  ],
  [
    'breaker rolled back: the old deployment is PRIMARY again, ours FAILED and draining',
    {
      service: service([
        deployment({ id: 'ecs-svc/1', rolloutState: 'IN_PROGRESS', rolloutStateReason: rollingBack }),
        deployment({ id: OURS, status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }),
      ]),
    },
    'rolled-back',
    /^ecs-svc\/1 \(api:1\) is PRIMARY instead of ecs-svc\/2: ECS deployment circuit breaker: tasks failed to start$/,
  ],
  [
    'rolled back and steady: ServicesStable would say success, we must not',
    { service: service([deployment({ id: 'ecs-svc/1', rolloutState: 'COMPLETED', rolloutStateReason: 'ECS deployment ecs-svc/1 completed.' })]) },
    'rolled-back',
    /^ecs-svc\/1 \(api:1\) is PRIMARY instead of ecs-svc\/2$/,
  ],
  ['ours gone and nothing PRIMARY', { service: service([]) }, 'failed', /not among/],
  [
    'no rolloutState (classic LB): one deployment with all running is done',
    { service: service([deployment({ id: OURS, rolloutState: undefined })]) },
    'completed',
  ],
  [
    'no rolloutState with two deployments is still rolling',
    { service: service([deployment({ id: OURS, rolloutState: undefined }), deployment({ status: 'ACTIVE', rolloutState: undefined })]) },
    'in-progress',
  ],
];

// Real ECS (ECS-SEMANTICS §2, corrected: field captures polled every ~20 s, and fabfuel/ecs-deploy's
// fixture PAYLOAD_DEPLOYMENTS_FAILED_ROLLBACK): the rollback is a NEW PRIMARY deployment with a later
// createdAt and the previous revision, while ours stays ACTIVE with rolloutState FAILED.
cases.push(
  [
    'real ECS breaker rollback: a newer PRIMARY rolling back to the last completed deployment, ours ACTIVE FAILED',
    {
      service: service([
        deployment({ id: 'ecs-svc/3', taskDefinition: tdArn(1), createdAt: new Date(5000), rolloutState: 'IN_PROGRESS', runningCount: 0, rolloutStateReason: rollingBack }),
        deployment({ id: OURS, status: 'ACTIVE', taskDefinition: tdArn(2), createdAt: new Date(2000), rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }),
      ]),
    },
    'rolled-back',
    /^ecs-svc\/3 \(api:1\) is PRIMARY instead of ecs-svc\/2: ECS deployment circuit breaker: tasks failed to start$/,
  ],
  [
    'real ECS rollback seen after ours drained out: the newer PRIMARY names the rollback',
    { service: service([deployment({ id: 'ecs-svc/3', taskDefinition: tdArn(1), createdAt: new Date(5000), rolloutState: 'IN_PROGRESS', rolloutStateReason: rollingBack })]) },
    'rolled-back',
  ],
  [
    'a newer PRIMARY with an ordinary reason while ours was still rolling: someone else deployed',
    {
      service: service([
        deployment({ id: 'ecs-svc/3', taskDefinition: tdArn(3), createdAt: new Date(5000), rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment ecs-svc/3 in progress.' }),
        deployment({ id: OURS, status: 'ACTIVE', taskDefinition: tdArn(2), createdAt: new Date(2000), rolloutState: 'IN_PROGRESS' }),
      ]),
    },
    'superseded',
  ],
);

for (const [label, snapshot, kind, reason] of cases) {
  test(`evaluateRollout: ${label} -> ${kind}`, () => {
    const v = evaluateRollout(snapshot, OURS);
    assert.is(v.kind, kind, JSON.stringify(v));
    if (reason) assert.match((v as { reason: string }).reason, reason);
  });
}

test('what triggered a rollback: breaker, alarm, or ECS without saying', () => {
  assert.is(rollbackTrigger('ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.'), 'circuit-breaker');
  assert.is(rollbackTrigger(undefined, 'ECS deployment alarm: rolling back'), 'alarm');
  assert.is(rollbackTrigger('rolling back'), 'ecs');
});

test('a newer PRIMARY is a superseding deploy, an older one a rollback', () => {
  const ours = deployment({ id: OURS, status: 'ACTIVE', createdAt: new Date(2000), rolloutState: 'IN_PROGRESS' });
  const newer = service([deployment({ id: 'ecs-svc/3', taskDefinition: tdArn(3), createdAt: new Date(3000), rolloutState: 'IN_PROGRESS' }), ours]);
  const v = evaluateRollout({ service: newer }, OURS);
  assert.is(v.kind, 'superseded');
  assert.match((v as { reason: string }).reason, /a newer deployment ecs-svc\/3 \(api:3\) replaced ecs-svc\/2/);
  const older = service([deployment({ id: 'ecs-svc/1', createdAt: new Date(1000), rolloutState: 'IN_PROGRESS' }), { ...ours, rolloutState: 'FAILED' }]);
  assert.is(evaluateRollout({ service: older }, OURS).kind, 'rolled-back');
  // Ours already drained out of the array: the creation time the watcher remembered decides.
  const gone = service([deployment({ id: 'ecs-svc/3', createdAt: new Date(3000) })]);
  assert.is(evaluateRollout({ service: gone }, OURS, 2000).kind, 'superseded');
  assert.is(evaluateRollout({ service: gone }, OURS, 4000).kind, 'rolled-back');
});

test('rolled-back names the deployment and task definition that took over', () => {
  const v = evaluateRollout({ service: service([deployment({ id: 'ecs-svc/1', taskDefinition: tdArn(1) })]) }, OURS);
  assert.equal(v.kind === 'rolled-back' && [v.to, v.toTaskDefinition], ['ecs-svc/1', tdArn(1)]);
});

test('deploymentViews and describeDeployments', () => {
  const views = deploymentViews([deployment({ id: OURS, taskDefinition: tdArn(2), runningCount: 1, pendingCount: 1, rolloutState: 'IN_PROGRESS' })]);
  assert.equal(views, [{ id: OURS, status: 'PRIMARY', taskDefinition: tdArn(2), desired: 2, running: 1, pending: 1, failed: 0, rolloutState: 'IN_PROGRESS' }]);
  assert.equal(describeDeployments(views), ['PRIMARY ecs-svc/2 api:2 running 1/2 pending 1 failed 0 IN_PROGRESS']);
});

test('eventsSince keeps newer events, oldest first', () => {
  const events = [
    { createdAt: new Date(3000), message: 'c' },
    { createdAt: new Date(2000), message: 'b' },
    { createdAt: new Date(1000), message: 'a' },
  ];
  assert.equal(eventsSince(events, 1000).map((e) => e.message), ['b', 'c']);
  assert.equal(eventsSince(undefined, 0), []);
});

for (const [v, want] of [[new Date(5000), 5000], [5, 5000], [1_700_000_000_000, 1_700_000_000_000], [undefined, 0]] as const) {
  test(`toMs(${String(v)})`, () => assert.is(toMs(v as Date | number | undefined), want));
}

const delays: Array<[number, number]> = [[0, 1000], [1, 2000], [2, 4000], [5, 20000], [10, 20000]];
for (const [throttles, want] of delays) test(`pollDelayMs after ${throttles} throttles`, () => assert.is(pollDelayMs(1000, throttles), want));


test('rolloutDurationMs and expectedRolloutMs: the recorded duration of a COMPLETED rollout, sane values only', () => {
  assert.is(rolloutDurationMs({ rolloutState: 'COMPLETED', createdAt: new Date(10_000), updatedAt: new Date(12_450) }), 2450);
  assert.is(rolloutDurationMs({ rolloutState: 'COMPLETED', createdAt: 10, updatedAt: 12.5 } as never), 2500, 'epoch seconds');
  assert.is(rolloutDurationMs({ rolloutState: 'IN_PROGRESS', createdAt: new Date(10_000), updatedAt: new Date(12_000) }), undefined, 'not completed');
  assert.is(rolloutDurationMs({ rolloutState: 'COMPLETED', createdAt: new Date(12_000), updatedAt: new Date(10_000) }), undefined, 'negative');
  assert.is(rolloutDurationMs(undefined), undefined);
  const tagged = (value: string) => ({ tags: [{ key: TAG_ROLLOUT_MS, value }] });
  assert.is(expectedRolloutMs(tagged('2450')), 2450);
  for (const bad of ['', '0', '-5', '2.5', 'soon', '99999999999']) assert.is(expectedRolloutMs(tagged(bad)), undefined, bad);
  assert.is(expectedRolloutMs({ tags: [] }), undefined);
  assert.is(expectedRolloutMs(undefined), undefined);
});

test.run();
