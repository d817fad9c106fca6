// Deployments over their life against ECS-SEMANTICS §1 (the model's Deployment and the aws-cli
// update-service example): a new deployment is PRIMARY and IN_PROGRESS with its counts at 0 and
// createdAt == updatedAt, the previous one becomes ACTIVE; COMPLETED means steady state.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deploymentVerdict } from './deployments.ts';
import { World } from './test-fixtures.ts';

test('a new deployment: PRIMARY, IN_PROGRESS, ecs-svc/<digits>, and the previous one ACTIVE (§1)', () => {
  const w = new World({ desired: 1 });
  const first = w.deploy(1);
  const second = w.deploy(2);
  assert.match(second.id, /^ecs-svc\/\d{19}$/);
  assert.ok(second.id > first.id, 'ids grow with time');
  assert.is(second.status, 'PRIMARY');
  assert.is(second.rolloutState, 'IN_PROGRESS');
  assert.is(second.rolloutStateReason, `ECS deployment ${second.id} in progress.`);
  assert.is(second.failedTasks, 0);
  assert.is(second.createdAt, second.updatedAt);
  assert.is(first.status, 'ACTIVE');
  assert.equal(w.svc.deployments.map((d) => d.id), [second.id, first.id], 'PRIMARY first');
  assert.is(first.sdStatus, 'STOPPED', 'ServiceDeployments: a superseded deployment is STOPPED');
});

test('deployment verdict: rollout state transitions', () => {
  const cb = { enable: true, rollback: true };
  const base = { desired: 2, rolloutState: 'IN_PROGRESS' as const, primaryLive: 2, primaryHealthy: 2, otherNotStopped: 0, failedTasks: 0, circuitBreaker: cb };
  assert.is(deploymentVerdict(base), 'complete');
  assert.is(deploymentVerdict({ ...base, otherNotStopped: 1 }), 'none', 'old tasks still draining');
  assert.is(deploymentVerdict({ ...base, primaryHealthy: 1 }), 'none', 'not all healthy');
  assert.is(deploymentVerdict({ ...base, primaryLive: 3, primaryHealthy: 3 }), 'none', 'above desired');
  assert.is(deploymentVerdict({ ...base, primaryHealthy: 0, failedTasks: 3 }), 'fail');
  assert.is(deploymentVerdict({ ...base, primaryHealthy: 0, failedTasks: 2 }), 'none');
  assert.is(deploymentVerdict({ ...base, failedTasks: 5, circuitBreaker: { enable: false, rollback: false } }), 'complete', 'breaker off never fails');
  assert.is(deploymentVerdict({ ...base, rolloutState: 'COMPLETED' }), 'none');
  assert.is(deploymentVerdict({ ...base, rolloutState: 'FAILED' }), 'none');
  assert.is(deploymentVerdict({ ...base, desired: 0, primaryLive: 0, primaryHealthy: 0 }), 'complete');
});

test.run();
