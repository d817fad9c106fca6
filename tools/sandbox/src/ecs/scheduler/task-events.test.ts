// What one task's events lead to, against ECS-SEMANTICS §1 (service event texts, service throttle
// logic), §2 (what counts as a failure for the circuit breaker, resetOnHealthyTask) and §3
// (task-lifecycle.md and stopped-task-errors.md: stop codes, stoppedReason texts, health from
// essential containers). No Docker: the observations are what the task runner would report.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { reconcileService } from './reconcile.ts';
import { countsHealthy, observeTask, type TaskObservation } from './task-events.ts';
import { applyAll } from './transitions.ts';
import { eventsOf, launchesOf, stopsOf, World } from './test-fixtures.ts';

/** An observation of the test's task (the task id is filled in). */
type Of<T> = T extends unknown ? Omit<T, 'taskId'> : never;

const TG = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web/0123456789abcdef';

/** A deployment rolling out with one task of it in `status`. */
function rollingOut(setup: { status?: 'PENDING' | 'RUNNING'; healthy?: boolean; resetOnHealthyTask?: boolean; healthCheck?: boolean } = {}) {
  const w = new World({ desired: 1, targetGroup: TG, healthCheck: setup.healthCheck ?? true, breaker: setup.resetOnHealthyTask === false ? { resetOnHealthyTask: false } : {} });
  const d = w.deploy(2);
  const [t] = w.tasks(d, 1, { status: setup.status ?? 'RUNNING', healthy: setup.healthy ?? false });
  const observe = (obs: Of<TaskObservation>) => applyAll(w.s, observeTask(w.s, { taskId: t.id, ...obs }, w.env), w.env);
  return { w, d, t, observe };
}

test('a failed container health check: event, failure counted, task stopped and replaced (§1, §2 stage 2, §3)', () => {
  const { w, d, t, observe } = rollingOut();
  const trs = observe({ kind: 'containerHealth', container: 'app', status: 'UNHEALTHY' });
  assert.equal(eventsOf(trs), [`(service web) (task ${t.id}) failed container health checks.`]);
  assert.is(t.healthStatus, 'UNHEALTHY', 'the task takes the health of its essential container');
  assert.is(d.failedTasks, 1);
  assert.equal(stopsOf(trs), [t.id]);
  assert.is(t.stopCode, 'ServiceSchedulerInitiated');
  assert.is(t.stoppedReason, 'Task failed container health checks');
  assert.is(launchesOf(reconcileService(w.s, w.key, w.env)).length, 1, '"An UNHEALTHY service task is stopped and replaced"');
});

test('ELB health: a healthy target makes a task in a target group count; unhealthy after the grace period stops it as ECS does (troubleshoot-service-load-balancers.html)', () => {
  const { w, d, t, observe } = rollingOut({ healthy: true });
  t._tg = TG;
  t.startedAt = w.clock() / 1000;
  assert.not.ok(countsHealthy(t), 'registered, not yet healthy in its target group: it does not count');
  observe({ kind: 'targetHealth', targetGroup: TG, healthy: true });
  assert.ok(countsHealthy(t));
  // Within healthCheckGracePeriodSeconds ECS ignores failing ELB checks.
  w.svc.healthCheckGracePeriodSeconds = 30;
  const early = observe({ kind: 'targetHealth', targetGroup: TG, healthy: false, description: 'Health checks failed with these codes: [500]' });
  assert.equal(stopsOf(early), []);
  assert.not.ok(countsHealthy(t), 'an unhealthy target does not count');
  w.advance(31_000);
  const late = observe({ kind: 'targetHealth', targetGroup: TG, healthy: false, description: 'Health checks failed with these codes: [500]' });
  assert.equal(eventsOf(late), [
    `(service web) (task ${t.id}) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [500]).`,
    `(service web) deregistered 1 targets in (target-group ${TG})`,
  ]);
  assert.equal(stopsOf(late), [t.id]);
  assert.is(t.stopCode, 'ServiceSchedulerInitiated');
  assert.is(t.stoppedReason, `Task failed ELB health checks in (target-group ${TG})`);
  assert.is(d.failedTasks, 1, 'an ELB health check failure counts toward the circuit breaker');
});

test('a task that becomes HEALTHY counts, registers its target and resets the failure count (§1, §2 resetOnHealthyTask default true)', () => {
  const { d, t, observe } = rollingOut();
  d.failedTasks = 2;
  const trs = observe({ kind: 'containerHealth', container: 'app', status: 'HEALTHY' });
  assert.is(t.healthStatus, 'HEALTHY');
  assert.ok(t._healthyAt !== undefined);
  assert.is(d.failedTasks, 0);
  assert.equal(eventsOf(trs), [`(service web) registered 1 targets in (target-group ${TG})`]);
});

test('resetOnHealthyTask false: a healthy task leaves the failure count as it is (§2)', () => {
  const { d, observe } = rollingOut({ resetOnHealthyTask: false });
  d.failedTasks = 2;
  observe({ kind: 'containerHealth', container: 'app', status: 'HEALTHY' });
  assert.is(d.failedTasks, 2);
});

test('an essential container exits: EssentialContainerExited, counted once per task (§2, §3)', () => {
  const { d, t, observe } = rollingOut({ healthy: true });
  const trs = observe({ kind: 'containerExited', container: 'app', exitCode: 3 });
  assert.is(t.stopCode, 'EssentialContainerExited');
  assert.is(t.stoppedReason, 'Essential container in task exited');
  assert.is(t.containers[0].exitCode, 3);
  assert.is(t.lastStatus, 'STOPPING');
  assert.ok(trs.some((x) => x.kind === 'essentialContainerExited'));
  assert.is(d.failedTasks, 1);
  observe({ kind: 'containerExited', container: 'app', exitCode: 3 });
  assert.is(d.failedTasks, 1, 'the same task is not counted twice');
});

test('a non-essential container exiting stops nothing (§3: the task follows its essential containers)', () => {
  const { d, t, observe } = rollingOut({ healthy: true });
  t.containers.push({ ...t.containers[0], name: 'sidecar', essential: false });
  const trs = observe({ kind: 'containerExited', container: 'sidecar', exitCode: 1 });
  assert.equal(trs.map((x) => x.kind), ['containerStopped']);
  assert.is(t.desiredStatus, 'RUNNING');
  assert.is(d.failedTasks, 0);
});

test('a task that cannot pull its image: TaskFailedToStart with CannotPullContainerError, counted (§2 stage 1, §3)', () => {
  const { d, t, observe } = rollingOut({ status: 'PENDING' });
  observe({ kind: 'failedToStart', stage: 'pull', message: 'failed to resolve ref app:2: not found' });
  assert.is(t.stopCode, 'TaskFailedToStart');
  assert.is(t.stoppedReason, 'CannotPullContainerError: failed to resolve ref app:2: not found');
  assert.is(d.failedTasks, 1);
});

test('tasks failing to start slow further launches, with ECS\'s throttle event once (§1 service throttle logic)', () => {
  // The breaker is off so that only the throttle decides whether a launch happens.
  const w = new World({ desired: 1, breaker: { enable: false } });
  const d = w.deploy(1);
  const delays: number[] = [];
  const events: string[] = [];
  for (let i = 0; i < 5; i++) {
    const [t] = w.tasks(d, 1, { status: 'PENDING' });
    events.push(...eventsOf(applyAll(w.s, observeTask(w.s, { kind: 'failedToStart', taskId: t.id, stage: 'start', message: 'exec: no such file' }, w.env), w.env)));
    w.finishStops();
    delays.push(w.s.backoff.get(w.key)!.delayMs);
  }
  assert.equal(delays, [1000, 2000, 4000, 8000, 16000], 'the delay between launches grows (sandbox: 1 s doubling, at most 60 s)');
  assert.equal(events, ['(service web) is unable to consistently start tasks successfully.']);
  assert.equal(launchesOf(reconcileService(w.s, w.key, w.env)), [], 'no launch while backed off');
  w.advance(16_000);
  assert.is(launchesOf(reconcileService(w.s, w.key, w.env)).length, 1, 'launches resume after the delay');
});

test('failures after the rollout COMPLETED do not count against it (§1: failedTasks is about the rollout)', () => {
  const { d, observe } = rollingOut({ healthy: true });
  d.rolloutState = 'COMPLETED';
  observe({ kind: 'containerExited', container: 'app', exitCode: 1 });
  assert.is(d.failedTasks, 0);
});

test('a stop request: desiredStatus STOPPED, a serving task deregisters first (§3 DEACTIVATING); a stopped task is left alone', () => {
  const { t, observe } = rollingOut({ healthy: true });
  const trs = observe({ kind: 'stopRequested', stopCode: 'UserInitiated', reason: 'Task stopped by user' });
  assert.equal(stopsOf(trs), [t.id]);
  assert.is(t.desiredStatus, 'STOPPED');
  assert.is(t.lastStatus, 'DEACTIVATING');
  assert.is(t.stopCode, 'UserInitiated');
  assert.equal(eventsOf(trs), [`(service web) deregistered 1 targets in (target-group ${TG})`]);
  assert.equal(observe({ kind: 'stopRequested', stopCode: 'UserInitiated', reason: 'again' }), []);
  assert.is(t.stoppedReason, 'Task stopped by user');
});

test.run();
