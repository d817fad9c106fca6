/**
 * A deploy is not done when ECS says COMPLETED: the checks after it (health-check's HTTP health
 * endpoint, smoke-test's checks) are part of it. When one fails right after a rollout this run
 * made, the service goes back to the revision it ran before, through the rollout primitive, and
 * the failed revision is recorded as such (`rollbackOn` in deploy.json: `health`, `smoke`; default
 * both). A check run on its own (no rollout of that service in this run) only reports.
 *
 * The rollouts to verify live in the run's session: deploy-app records each COMPLETED update it
 * made, health-check and smoke-test of the same run read it.
 */
import { sessionPart, type ResolvedApp, type RunSession } from '@ferry/core';
import type { DeployPorts } from './apply.ts';
import { withServiceLock, type LockOptions } from './lock.ts';
import { markCompleted, markFailed, recordResult } from './records.ts';
import { rollService, type RolloutSettings } from './roll.ts';
import { shortTaskDefinition } from './rollout.ts';
import { primaryTaskDefinition } from './spec.ts';

/** A rollout this run completed, until the checks after it passed. */
export interface RolloutToVerify {
  app: string;
  cluster: string;
  service: string;
  /** What ran before (the revision to return to). */
  from: string;
  /** What the rollout put live. */
  to: string;
}

const keyOf = (env: string, cluster: string, service: string) => JSON.stringify([env, cluster, service]);

/** The run's completed rollouts, by environment, cluster and service. */
export const rolloutsToVerify = sessionPart('rollouts to verify', () => new Map<string, RolloutToVerify>());

/** deploy-app: a rollout from `from` to `to` COMPLETED in this run; the checks after it may undo it. */
export function recordRolloutToVerify(session: RunSession, resolved: Pick<ResolvedApp, 'env'>, r: RolloutToVerify): void {
  session.use(rolloutsToVerify).set(keyOf(resolved.env.name, r.cluster, r.service), r);
}

/** The rollout of this app's service that this run completed, if any. */
export function rolloutToVerify(session: RunSession, resolved: Pick<ResolvedApp, 'env' | 'app'>): RolloutToVerify | undefined {
  return session.use(rolloutsToVerify).get(keyOf(resolved.env.name, resolved.env.cluster, resolved.app.service));
}

/**
 * A check of kind `check` failed after `r`: when the app's `rollbackOn` includes it, return the
 * service to `r.from` under the service lock and record both revisions. Returns one sentence for
 * the failure message; never throws (a failed rollback is reported in that sentence).
 */
export async function revertFailedCheck(
  session: RunSession,
  ports: DeployPorts,
  resolved: Pick<ResolvedApp, 'env' | 'app'>,
  r: RolloutToVerify,
  check: 'health' | 'smoke',
  s: RolloutSettings,
  lock: Omit<LockOptions, 'reporter' | 'signal'>,
): Promise<string> {
  const { app } = resolved;
  if (!app.rollbackOn.includes(check)) {
    return `Not rolled back (rollbackOn in deploy.json leaves out "${check}"): ${shortTaskDefinition(r.to)} stays live. \`nx run ${app.project}:rollback\` returns to ${shortTaskDefinition(r.from)}.`;
  }
  session.use(rolloutsToVerify).delete(keyOf(resolved.env.name, r.cluster, r.service));
  s.reporter.emit({ kind: 'step', app: r.app, step: 'rollback', status: 'start', message: `the ${check} check failed after the rollout: rolling back to ${shortTaskDefinition(r.from)}` });
  try {
    return await withServiceLock(ports.ecs, { app: r.app, cluster: r.cluster, service: r.service }, { ...lock, reporter: s.reporter, signal: s.signal }, async (held) => {
      // Someone may have deployed since: only undo what is still our rollout.
      const now = (await ports.ecs.describeServices(r.cluster, [r.service])).services[0];
      const live = now && primaryTaskDefinition(now);
      await markFailed(ports.ecs, r.to);
      await recordResult(ports.ecs, r.to, check === 'health' ? 'unhealthy' : 'smoke-failed', s);
      if (live !== r.to) return `Not rolled back: the service now runs ${shortTaskDefinition(live)}, not ${shortTaskDefinition(r.to)} (another deploy came after).`;
      const back = await rollService(ports.ecs, { app: r.app, cluster: r.cluster, service: r.service, from: r.to, to: r.from, start: { kind: 'update' } }, { ...s, beforeWrite: held ? () => held.verify() : undefined });
      if (back.outcome.kind !== 'completed') {
        s.reporter.emit({ kind: 'step', app: r.app, step: 'rollback', status: 'fail', message: `the rollback to ${shortTaskDefinition(r.from)} did not complete (${back.outcome.kind})` });
        return `The automatic rollback to ${shortTaskDefinition(r.from)} did not complete (${back.outcome.kind}); the service needs attention: \`nx run ${app.project}:deploy-app\` shows its state.`;
      }
      await markCompleted(ports.ecs, r.from).catch(() => undefined);
      await recordResult(ports.ecs, r.from, 'completed', { ...s, returning: true });
      s.reporter.emit({ kind: 'step', app: r.app, step: 'rollback', status: 'done', message: `rolled back: ${shortTaskDefinition(r.from)} is live again` });
      return `Rolled back: ${shortTaskDefinition(r.from)} is live again; ${shortTaskDefinition(r.to)} is recorded as ${check === 'health' ? 'unhealthy' : 'failing its smoke checks'} (\`nx run ${app.project}:history\`).`;
    });
  } catch (e) {
    return `The automatic rollback to ${shortTaskDefinition(r.from)} failed: ${(e as Error).message}`;
  }
}
