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

test('a trip with rollback: FAILED, then back to the last COMPLETED revision, in ECS event order (§2)', () => {
  const { w, good, bad, tick } = failing(2, 3);
  const trs = tick();
  assert.is(bad.rolloutState, 'FAILED');
  assert.is(bad.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  const primary = w.svc.deployments[0];
  assert.is(primary.status, 'PRIMARY');
  assert.is(primary.taskDefinition, good.taskDefinition, 'the PRIMARY runs the previous revision');
  assert.is(primary.rolloutState, 'IN_PROGRESS');
  assert.is(primary.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${good.id}.`);
  assert.is(w.svc.taskDefinition, good.taskDefinition);
  // "the failed deployment stays in the array beside it, status ACTIVE, rolloutState FAILED".
  const failed = w.svc.deployments.find((d) => d.id === bad.id)!;
  assert.is(failed.status, 'ACTIVE');
  assert.is(failed.rolloutState, 'FAILED');
  // "the earlier completed deployment's tasks keep serving (min 100 %)": none of them stops.
  assert.equal(stopsOf(trs), []);
  // The failed deployment's replacements launched earlier in that tick are pending; they stop next.
  const pending = launchesOf(trs);
  const drained = tick();
  assert.equal(stopsOf(drained), pending.map((t) => t.id));
  w.finishStops();
  const settled = tick();
  assert.is(primary.rolloutState, 'COMPLETED');
  assert.is(w.svc.deployments.length, 1, 'the failed deployment leaves the array once it has nothing to drain');
  assert.is(failed.sdStatus, 'ROLLBACK_SUCCESSFUL', 'ServiceDeployments: ROLLBACK_SUCCESSFUL (§2)');
  // "Event sequence: `deployment failed: tasks failed to start.` → `rolling back to deployment R.` →
  // `stopped N pending tasks.` → `(deployment R) deployment completed.` → `has reached a steady state.`"
  assert.equal(eventsOf([...trs, ...drained, ...settled]).slice(-5), [
    `(service web) (deployment ${bad.id}) deployment failed: tasks failed to start.`,
    `(service web) rolling back to deployment ${good.id}.`,
    `(service web) stopped ${pending.length} pending tasks.`,
    `(service web) (deployment ${primary.id}) deployment completed.`,
    '(service web) has reached a steady state.',
  ]);
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
