// The scheduler's tick against ECS's documented behaviour, without Docker. Every case cites where the
// behaviour is documented: ECS-SEMANTICS §1 (developer guide deployment-type-ecs.html and
// service-event-messages.md: batch sizing, steady state, event texts), §2 (deployment-circuit-breaker.md:
// threshold, FAILED, rollback) and §3 (task-lifecycle.md: stop codes and reasons).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { countsHealthy } from './task-events.ts';
import { pruneStoppedTasks, reconcileService } from './reconcile.ts';
import { eventsOf, launchesOf, stopsOf, World } from './test-fixtures.ts';

const UNABLE =
  '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';

/** A service steady on revision 1 with `desired` healthy tasks, then a deployment of revision 2. */
function rollout(setup: ConstructorParameters<typeof World>[0]) {
  const w = new World(setup);
  const old = w.completed(w.deploy(1));
  const oldTasks = w.tasks(old, setup.desired);
  const next = w.deploy(2);
  return { w, old, oldTasks, next, tick: () => reconcileService(w.s, w.key, w.env) };
}

// §1 "Doc examples: desired 4/min 50 → stop 2 old first; desired 2/min 75 → can't stop any;
// desired 4/max 200 → start 4 new first; desired 3/max 125 → can't start any." The other bound is
// set so that only the quoted one decides (max 100: nothing starts before a stop; min 100: nothing stops first).
const batchSizing = [
  { doc: 'desired 4 / min 50: stop 2 old first', desired: 4, min: 50, max: 100, stops: 2, starts: 2, stalled: false },
  { doc: 'desired 2 / min 75: can\'t stop any', desired: 2, min: 75, max: 100, stops: 0, starts: 0, stalled: true },
  { doc: 'desired 4 / max 200: start 4 new first', desired: 4, min: 100, max: 200, stops: 0, starts: 4, stalled: false },
  { doc: 'desired 3 / max 125: can\'t start any', desired: 3, min: 100, max: 125, stops: 0, starts: 0, stalled: true },
];
for (const c of batchSizing) {
  test(`batch sizing (§1): ${c.doc}`, () => {
    const { w, oldTasks, tick } = rollout({ desired: c.desired, min: c.min, max: c.max });
    const trs = tick();
    assert.is(stopsOf(trs).length, c.stops, 'old tasks stopped');
    assert.ok(stopsOf(trs).every((id) => oldTasks.some((t) => t.id === id)), 'only old tasks stop');
    assert.is(launchesOf(trs).length, c.starts, 'new tasks started');
    // "If neither bound allows a step, the service emits `… was unable to stop or start tasks …`" (§1).
    assert.is(eventsOf(trs).includes(UNABLE), c.stalled, 'the stall event');
    const healthyLeft = Object.values(w.ecs.tasks).filter(countsHealthy).length;
    assert.ok(healthyLeft >= Math.ceil((c.desired * c.min) / 100), 'RUNNING stays at or above ceil(desired × min/100)');
    const live = Object.values(w.ecs.tasks).filter((t) => t.desiredStatus === 'RUNNING').length;
    assert.ok(live <= Math.floor((c.desired * c.max) / 100), 'RUNNING + PENDING stays at or below floor(desired × max/100)');
  });
}

test('the stall is reported once, until the cause is resolved (§1: duplicate messages are suppressed)', () => {
  const { w, tick } = rollout({ desired: 2, min: 75, max: 100 });
  assert.equal(eventsOf(tick()), [UNABLE]);
  assert.equal(eventsOf(tick()), [], 'no second event while still stalled');
  w.svc.deploymentConfiguration.minimumHealthyPercent = 50;
  const resumed = tick();
  assert.is(stopsOf(resumed).length, 1, 'loosening min lets one old task stop');
  assert.not.ok(eventsOf(resumed).includes(UNABLE));
});

test('a rolling deployment: new tasks first, old ones stop once new ones are healthy, then COMPLETED and steady (§1, §3)', () => {
  const { w, old, oldTasks, next, tick } = rollout({ desired: 2, targetGroup: TG });
  const started = tick();
  const launched = launchesOf(started);
  assert.is(launched.length, 2);
  assert.ok(launched.every((t) => t.startedBy === next.id && t.group === 'service:web' && t.lastStatus === 'PROVISIONING'), '§3: startedBy the deployment, group service:<name>');
  assert.equal(eventsOf(started), [`(service web) has started 2 tasks: (task ${launched[0].id}) (task ${launched[1].id}).`]);
  assert.is(next.sdStatus, 'IN_PROGRESS', 'the service deployment leaves PENDING');

  assert.equal(stopsOf(tick()), [], 'new tasks not yet healthy: min 100 keeps every old task');
  w.startLaunched();
  const replaced = tick();
  assert.equal(stopsOf(replaced), oldTasks.map((t) => t.id));
  for (const t of oldTasks) {
    assert.is(t.stopCode, 'ServiceSchedulerInitiated', '§3 stopCode');
    assert.is(t.stoppedReason, `Scaling activity initiated by (deployment ${next.id})`, '§3 stoppedReason');
    assert.is(t.lastStatus, 'DEACTIVATING', 'a RUNNING task first leaves its target group');
  }
  assert.equal(eventsOf(replaced), [
    `(service web) deregistered 1 targets in (target-group ${TG})`,
    `(service web) deregistered 1 targets in (target-group ${TG})`,
    `(service web) has stopped 2 running tasks: (task ${oldTasks[0].id}) (task ${oldTasks[1].id}).`,
  ]);
  assert.is(next.rolloutState, 'IN_PROGRESS', 'not COMPLETED while old tasks are still stopping');

  w.finishStops();
  const done = tick();
  // §1: COMPLETED is steady state; "deployment completed." and "has reached a steady state." come together.
  assert.equal(eventsOf(done), [`(service web) (deployment ${next.id}) deployment completed.`, '(service web) has reached a steady state.']);
  assert.is(next.rolloutState, 'COMPLETED');
  assert.is(next.rolloutStateReason, `ECS deployment ${next.id} completed.`);
  assert.equal(w.svc.deployments.map((d) => d.id), [next.id], 'the replaced deployment leaves deployments[]');
  assert.is(old.status, 'INACTIVE');
  assert.is(w.svc.events[0].message, '(service web) has reached a steady state.', 'events are newest first');
  assert.equal(tick(), [], 'nothing more to do');
});

test('without a health check a task counts toward the minimum only after the grace (§1: 40 s on ECS)', () => {
  const { w, oldTasks, tick } = rollout({ desired: 1, targetGroup: TG });
  tick();
  w.startLaunched();
  const fresh = Object.values(w.ecs.tasks).find((t) => !oldTasks.includes(t))!;
  delete fresh._healthyAt;
  assert.equal(stopsOf(tick()), [], 'RUNNING but within the grace: not counted');
  w.advance(w.env.noHealthCheckGraceMs);
  const after = tick();
  assert.ok(fresh._healthyAt !== undefined, 'counted after the grace');
  assert.ok(eventsOf(after).includes(`(service web) registered 1 targets in (target-group ${TG})`));
  assert.equal(stopsOf(after), [oldTasks[0].id]);
});

test('with a health check a task counts only once HEALTHY, however long it runs (§1)', () => {
  const { w, tick } = rollout({ desired: 1, healthCheck: true });
  const [fresh] = launchesOf(tick());
  Object.assign(fresh, { lastStatus: 'RUNNING', startedAt: w.clock() / 1000 });
  w.advance(60_000);
  assert.equal(stopsOf(tick()), []);
  assert.is(fresh._healthyAt, undefined);
});

test('the steady-state event repeats about every 6 h while nothing changes (§1)', () => {
  const w = new World({ desired: 1 });
  const d = w.deploy(1);
  w.tasks(d, 1);
  assert.equal(eventsOf(reconcileService(w.s, w.key, w.env)), [`(service web) (deployment ${d.id}) deployment completed.`, '(service web) has reached a steady state.']);
  w.advance(3600_000);
  assert.equal(eventsOf(reconcileService(w.s, w.key, w.env)), []);
  w.advance(5 * 3600_000 + 1);
  assert.equal(eventsOf(reconcileService(w.s, w.key, w.env)), ['(service web) has reached a steady state.']);
  assert.equal(eventsOf(reconcileService(w.s, w.key, w.env)), []);
});

test('scale-in stops excess tasks of the PRIMARY deployment; a desiredCount change starts no deployment (§4)', () => {
  const w = new World({ desired: 3 });
  const d = w.completed(w.deploy(1));
  w.tasks(d, 3);
  w.svc.desiredCount = 1;
  const trs = reconcileService(w.s, w.key, w.env);
  assert.is(stopsOf(trs).length, 2);
  assert.is(w.svc.deployments.length, 1);
});

test('a deleted service drains all its tasks whatever the minimum, then is INACTIVE (§1 service status)', () => {
  const w = new World({ desired: 2, min: 100 });
  const d = w.completed(w.deploy(1));
  w.tasks(d, 2);
  Object.assign(w.svc, { status: 'DRAINING', desiredCount: 0 });
  const trs = reconcileService(w.s, w.key, w.env);
  assert.is(stopsOf(trs).length, 2);
  assert.is(launchesOf(trs).length, 0);
  assert.is(w.svc.status, 'DRAINING', 'not INACTIVE while tasks are stopping');
  w.finishStops();
  const retired = reconcileService(w.s, w.key, w.env);
  assert.ok(retired.some((t) => t.kind === 'serviceInactive'));
  assert.is(w.svc.status, 'INACTIVE');
  assert.equal(reconcileService(w.s, w.key, w.env), [], 'an INACTIVE service is left alone');
});

test('STOPPED tasks stay listed for the retention, then leave (§3: at least 1 hour)', () => {
  const w = new World({ desired: 1 });
  const [t] = w.tasks(w.deploy(1), 1, { status: 'STOPPED' });
  w.advance(3600_000);
  assert.equal(pruneStoppedTasks(w.s, w.env), []);
  w.advance(w.env.stoppedRetentionMs);
  assert.equal(pruneStoppedTasks(w.s, w.env), [{ kind: 'tasksPruned', taskIds: [t.id] }]);
  assert.is(w.ecs.tasks[t.id], undefined);
});

test.run();
