// The deployment circuit breaker against ECS-SEMANTICS §2, which quotes the developer guide
// (deployment-circuit-breaker.md, current and 2023) and the model (DeploymentCircuitBreaker):
// threshold clamp(0.5 × desired, 3, 200) rounded up, FAILED at the threshold, rollback to the most
// recent COMPLETED deployment, and no new tasks from a FAILED deployment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { circuitBreakerThreshold } from './circuit-breaker.ts';
import { reconcileService } from './reconcile.ts';
import { eventsOf, launchesOf, stopsOf, World } from './test-fixtures.ts';

test('circuit breaker threshold: clamp(ceil(0.5 × desired), 3, 200)', () => {
  const table: [number, number][] = [
    [0, 3], [1, 3], [2, 3], [6, 3], [7, 4], [25, 13], [400, 200], [1000, 200],
  ];
  for (const [desired, want] of table) assert.is(circuitBreakerThreshold(desired), want, `desired ${desired}`);
  assert.is(circuitBreakerThreshold(10, { thresholdConfiguration: { type: 'COUNT', value: 1 } }), 1);
  assert.is(circuitBreakerThreshold(10, { thresholdConfiguration: { type: 'BOUNDED_PERCENT', value: 100 } }), 10);
  assert.is(circuitBreakerThreshold(2, { thresholdConfiguration: { type: 'BOUNDED_PERCENT', value: 100 } }), 3);
  assert.is(circuitBreakerThreshold(2, { thresholdConfiguration: { type: 'UNBOUNDED_PERCENT', value: 50 } }), 1);
});

/** A service steady on revision 1, rolling out revision 2 with `failures` failed tasks counted so far. */
function failing(desired: number, failures: number, breaker: { enable?: boolean; rollback?: boolean } = {}) {
  const w = new World({ desired, breaker });
  const good = w.completed(w.deploy(1));
  w.tasks(good, desired);
  const bad = w.deploy(2);
  bad.failedTasks = failures;
  return { w, good, bad, tick: () => reconcileService(w.s, w.key, w.env) };
}

// §2: "The deployment becomes FAILED when the count equals the threshold"; the 2023 table has desired 25 → 13.
const trips: { desired: number; failures: number; enable?: boolean; trips: boolean }[] = [
  { desired: 1, failures: 2, trips: false },
  { desired: 1, failures: 3, trips: true },
  { desired: 25, failures: 12, trips: false },
  { desired: 25, failures: 13, trips: true },
  { desired: 500, failures: 199, trips: false },
  { desired: 500, failures: 200, trips: true },
  // §1: rolloutState "becomes FAILED only if the circuit breaker is on".
  { desired: 1, failures: 50, enable: false, trips: false },
];
for (const c of trips) {
  test(`the breaker ${c.trips ? 'trips' : 'holds'}: desired ${c.desired}, ${c.failures} failed tasks${c.enable === false ? ', breaker off' : ''}`, () => {
    const { bad, tick } = failing(c.desired, c.failures, c.enable === undefined ? {} : { enable: c.enable });
    tick();
    assert.is(bad.rolloutState, c.trips ? 'FAILED' : 'IN_PROGRESS');
  });
}

/** `expected` appear in `events` in this order (other events may come between them). */
function inOrder(events: string[], expected: string[]): boolean {
  let i = 0;
  for (const e of events) if (e === expected[i]) i++;
  return i === expected.length;
}

test('a trip with rollback: a NEW PRIMARY deployment of the last COMPLETED revision; the FAILED one stays beside it (§2, corrected)', () => {
  const { w, good, bad, tick } = failing(2, 3);
  const goodTasks = Object.values(w.ecs.tasks).filter((t) => t.startedBy === good.id);
  const trs = tick();
  assert.is(bad.rolloutState, 'FAILED');
  assert.is(bad.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  const primary = w.svc.deployments[0];
  // "a new PRIMARY entry with its own id and a later createdAt, the previous revision's taskDefinition,
  // rolloutState IN_PROGRESS and rolloutStateReason `ECS deployment circuit breaker: rolling back to deploymentId <last COMPLETED>.`"
  assert.is(primary.status, 'PRIMARY');
  assert.is.not(primary.id, good.id, 'a new deployment, not the old one made PRIMARY again');
  assert.is.not(primary.id, bad.id);
  assert.ok(primary.createdAt > bad.createdAt, 'a later createdAt');
  assert.is(primary.taskDefinition, good.taskDefinition, 'the PRIMARY runs the previous revision');
  assert.is(primary.rolloutState, 'IN_PROGRESS');
  assert.is(primary.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${good.id}.`);
  assert.is(w.svc.taskDefinition, good.taskDefinition);
  // "the failed deployment stays in the array beside it, status ACTIVE, rolloutState FAILED".
  const failed = w.svc.deployments.find((d) => d.id === bad.id)!;
  assert.is(failed.status, 'ACTIVE');
  assert.is(failed.rolloutState, 'FAILED');
  assert.is(failed.sdStatus, 'ROLLBACK_REQUESTED', 'ServiceDeployments: ROLLBACK_REQUESTED first (§2, §4)');
  assert.is(failed.rollback?.serviceRevisionArn, w.env.arns.serviceRevision('c', 'web', good.id));
  // "the earlier completed deployment's tasks keep serving (min 100 %)": none of them stops yet.
  assert.equal(stopsOf(trs), []);
  const pending = launchesOf(trs);
  const all = [...trs];
  for (let i = 0; i < 10 && primary.rolloutState !== 'COMPLETED'; i++) {
    const step = tick();
    all.push(...step);
    if (i === 0) assert.is(failed.sdStatus, 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS once the rollback deployment starts');
    w.startLaunched();
    w.finishStops();
    w.advance(100);
  }
  assert.is(primary.rolloutState, 'COMPLETED');
  assert.ok(goodTasks.every((t) => t.lastStatus === 'STOPPED'), "the rollback deployment's tasks replaced the old ones");
  assert.ok(Object.values(w.ecs.tasks).filter((t) => t.desiredStatus === 'RUNNING').every((t) => t.startedBy === primary.id));
  assert.is(failed.sdStatus, 'ROLLBACK_SUCCESSFUL', 'ServiceDeployments: ROLLBACK_SUCCESSFUL (§2)');
  // The FAILED deployment is still listed right after the rollback completed (a 15 s poller must see it) …
  assert.ok(w.svc.deployments.includes(failed), 'the FAILED deployment is still visible');
  w.advance(w.env.failedVisibleMs);
  const retired = tick();
  // … and leaves the array once it has nothing to drain.
  assert.equal(w.svc.deployments, [primary], 'the failed deployment leaves the array once drained');
  assert.is(failed.status, 'INACTIVE');
  // "Event sequence: `deployment failed: tasks failed to start.` → `rolling back to deployment R.` →
  // `stopped N pending tasks.` → `(deployment R) deployment completed.` → `has reached a steady state.`"
  // (the rollback deployment's own completion, with its own id).
  const events = eventsOf([...all, ...retired]);
  assert.ok(
    inOrder(events, [
      `(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`,
      `(service web) rolling back to deployment ${good.id}.`,
      `(service web) stopped ${pending.length} pending tasks.`,
      `(service web) (deployment ${primary.id}) deployment completed.`,
      '(service web) has reached a steady state.',
    ]),
    events.join('\n'),
  );
});

test('a rollback deployment that fails in turn: ROLLBACK_FAILED, no second rollback (§2, model ServiceDeploymentStatus)', () => {
  const { w, bad, tick } = failing(1, 3);
  tick();
  const rollback = w.svc.deployments[0];
  assert.is(rollback.rollbackOf, bad.id);
  rollback.failedTasks = 3;
  const events = eventsOf(tick());
  assert.is(rollback.rolloutState, 'FAILED');
  assert.not.ok(events.some((e) => e.includes('rolling back')), events.join('\n'));
  assert.is(bad.sdStatus, 'ROLLBACK_FAILED');
  assert.is(w.svc.deployments[0], rollback, 'the failed rollback stays PRIMARY and launches nothing');
});

test('a trip without rollback: the FAILED deployment stays PRIMARY and launches nothing; old tasks keep running (§1, §2)', () => {
  const { w, bad, tick } = failing(2, 3, { rollback: false });
  const events = eventsOf(tick());
  assert.is(events.at(-1), `(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`);
  assert.not.ok(events.some((e) => e.includes('rolling back')));
  assert.is(bad.rolloutState, 'FAILED');
  assert.is(w.svc.deployments[0], bad);
  for (let i = 0; i < 3; i++) {
    const trs = tick();
    assert.equal(launchesOf(trs), [], 'a FAILED deployment launches no new tasks');
    assert.equal(stopsOf(trs), [], 'the old tasks are its only capacity');
  }
  assert.is(w.svc.deployments.length, 2, 'so ServicesStable keeps waiting (§2, tool impact)');
});

test('a trip with rollback but nothing COMPLETED to return to: no rollback, no new tasks (§2)', () => {
  const w = new World({ desired: 1 });
  const only = w.deploy(1);
  only.failedTasks = 3;
  const events = eventsOf(reconcileService(w.s, w.key, w.env));
  assert.is(events.at(-1), `(service web) (deployment ${only.id}) deployment failed: tasks failed to start.`);
  assert.not.ok(events.some((e) => e.includes('rolling back')));
  assert.is(only.rolloutState, 'FAILED');
  assert.is(only.sdStatus, 'ROLLBACK_FAILED');
  assert.equal(launchesOf(reconcileService(w.s, w.key, w.env)), []);
});

test('the rollback returns to the most recent COMPLETED deployment, not an older one (§2)', () => {
  const w = new World({ desired: 1 });
  const first = w.completed(w.deploy(1));
  const second = w.completed(w.deploy(1));
  w.tasks(second, 1);
  const bad = w.deploy(2);
  bad.failedTasks = 3;
  const trs = reconcileService(w.s, w.key, w.env);
  assert.ok(eventsOf(trs).includes(`(service web) rolling back to deployment ${second.id}.`));
  assert.not.ok(eventsOf(trs).includes(`(service web) rolling back to deployment ${first.id}.`));
});

test.run();
