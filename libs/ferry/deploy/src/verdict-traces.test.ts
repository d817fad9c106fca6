// The watcher's verdict on sequences of DescribeServices answers shaped like real ECS's. Each trace
// names where its shape comes from; the deployment ids, revisions and timing are ours.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryReporter } from '@ferry/core';
import type { EcsDeployment, EcsService } from '@ferry/aws';
import { awsError, FakeEcs } from '@ferry/aws/testing';
import { ManualClock } from '../../core/src/testing/clock.ts';
import { watchRollout, type WatchOutcome } from './wait.ts';
import { deployment, service, tdArn } from './fixtures.test-support.ts';

const OURS = 'ecs-svc/2';
const t = (s: number) => new Date(1_700_000_000_000 + s * 1000);
const ours = (over: Partial<EcsDeployment>) => deployment({ id: OURS, taskDefinition: tdArn(2), createdAt: t(0), runningCount: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: `ECS deployment ${OURS} in progress.`, ...over });
const old = (over: Partial<EcsDeployment> = {}) => deployment({ id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: tdArn(1), createdAt: t(-3600), ...over });
const svc = (deployments: EcsDeployment[], over: Partial<EcsService> = {}) => service(deployments, over);

interface Trace {
  name: string;
  /** Where the shape of this sequence comes from. */
  source: string;
  steps: Array<EcsService | Error>;
  expect: WatchOutcome['kind'];
  by?: string;
  timeoutMs?: number;
}

const rollbackPrimary = (over: Partial<EcsDeployment> = {}) =>
  deployment({ id: 'ecs-svc/3', taskDefinition: tdArn(1), createdAt: t(90), runningCount: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.', ...over });
const failedOurs = ours({ status: 'ACTIVE', rolloutState: 'FAILED', failedTasks: 3, rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });

const traces: Trace[] = [
  {
    name: 'success: ours rolls out, the old one drains, COMPLETED',
    source: 'aws-cli awscli/examples/ecs/update-service.rst (PRIMARY IN_PROGRESS beside ACTIVE), then "deployment completed." (ECS-SEMANTICS §1)',
    steps: [svc([ours({}), old()]), svc([ours({ runningCount: 2 }), old({ runningCount: 1 })]), svc([ours({ runningCount: 2, rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${OURS} completed.` })])],
    expect: 'completed',
  },
  {
    name: 'crash loop with breaker rollback: a new PRIMARY rolls back, ours FAILED beside it',
    source: 'ECS-SEMANTICS §2 corrected: 2026 field captures polled every ~20 s; fabfuel/ecs-deploy fixture PAYLOAD_DEPLOYMENTS_FAILED_ROLLBACK',
    steps: [svc([ours({ failedTasks: 1 }), old()]), svc([ours({ failedTasks: 2 }), old()]), svc([rollbackPrimary(), failedOurs, old()]), svc([rollbackPrimary({ rolloutState: 'COMPLETED', runningCount: 2 })])],
    expect: 'rolled-back',
    by: 'circuit-breaker',
  },
  {
    name: 'container health checks failing: RUNNING tasks replaced until the breaker trips and rolls back',
    source: 'deployment-circuit-breaker.md stage 2 (failed health checks count once a task is RUNNING) + the rollback shape above',
    steps: [svc([ours({ runningCount: 1 }), old()]), svc([ours({ runningCount: 0, failedTasks: 2 }), old()]), svc([rollbackPrimary(), failedOurs, old()])],
    expect: 'rolled-back',
    by: 'circuit-breaker',
  },
  {
    name: 'image that cannot be pulled: the deployment stalls (failedTasks creeps, no verdict) until ferry\'s timeout',
    source: 'ECS-SEMANTICS §2: a 2026 drill saw failedTasks climb every few minutes; another saw the deployment stall without firing',
    steps: [svc([ours({}), old()]), svc([ours({ failedTasks: 1 }), old()])],
    expect: 'timeout',
    timeoutMs: 10_000,
  },
  {
    name: 'breaker with rollback false: ours FAILED stays PRIMARY, nothing rolls back',
    source: 'ECS-SEMANTICS §2 ("With rollback=false, the FAILED deployment stays in place"); containers-roadmap#1488 reason text',
    steps: [svc([ours({ failedTasks: 2 }), old()]), svc([ours({ failedTasks: 3, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' }), old()])],
    expect: 'failed',
  },
  {
    name: 'CloudWatch alarm rollback: ours COMPLETED first, then an alarm fails it and a new PRIMARY rolls back',
    source: 'deployment-alarm-failure.html (alarms set the deployment to failed and roll back to the last completed one) + the new-PRIMARY shape of ECS-SEMANTICS §2',
    steps: [svc([ours({ runningCount: 1 }), old()]), svc([rollbackPrimary({ rolloutStateReason: 'ECS deployment alarm: rolling back to deploymentId ecs-svc/1.' }), ours({ status: 'ACTIVE', rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment alarm detected a failure.' })])],
    expect: 'rolled-back',
    by: 'alarm',
  },
  {
    name: 'a genuinely newer deploy by someone else: a newer PRIMARY with an ordinary reason while ours was fine',
    source: 'aws-cli update-service example: every UpdateService makes a new PRIMARY "ECS deployment ecs-svc/N in progress."',
    steps: [svc([ours({ runningCount: 1 }), old()]), svc([deployment({ id: 'ecs-svc/4', taskDefinition: tdArn(4), createdAt: t(30), runningCount: 0, rolloutState: 'IN_PROGRESS', rolloutStateReason: 'ECS deployment ecs-svc/4 in progress.' }), ours({ status: 'ACTIVE', runningCount: 1 })])],
    expect: 'superseded',
  },
  {
    name: 'the service was deleted while we watched',
    source: 'ServicesStable waiter acceptors (waiters-2.json): DRAINING/INACTIVE are failures; ECS-SEMANTICS §4',
    steps: [svc([ours({}), old()]), svc([ours({})], { status: 'DRAINING' })],
    expect: 'failed',
  },
  {
    name: 'the cluster went away: ClusterNotFoundException is an error, not a verdict',
    source: 'ECS model DescribeServices errors; ECS-SEMANTICS §4 (an unknown cluster throws)',
    steps: [svc([ours({}), old()]), awsError('ClusterNotFoundException', 'Cluster not found.')],
    expect: 'failed',
  },
];

for (const tr of traces) {
  test(`${tr.name} -> ${tr.expect}`, async () => {
    const clock = new ManualClock(t(0).getTime());
    const ecs = new FakeEcs().replay('api', tr.steps);
    let outcome: WatchOutcome;
    try {
      const w = await watchRollout(ecs, { app: 'api', cluster: 'c', service: 'api', deploymentId: OURS, timeoutMs: tr.timeoutMs ?? 600_000, intervalMs: 1000, since: 0, reporter: new MemoryReporter(), clock });
      outcome = w.outcome;
    } catch (e) {
      assert.match((e as Error).message, /ClusterNotFoundException/, `source: ${tr.source}`);
      outcome = { kind: 'failed', reason: (e as Error).message };
    }
    assert.is(outcome.kind, tr.expect, `${JSON.stringify(outcome)} (source: ${tr.source})`);
    if (tr.by) assert.is((outcome as { by?: string }).by, tr.by);
  });
}

test.run();
