/**
 * After a rollout that did not complete: say why (rollout reason, stopped tasks, events), record it,
 * return the service to where it was (unless told not to, or ECS's circuit breaker already did),
 * and throw a FerryError that names the next step. The rollback itself is the rollout primitive
 * (roll.ts) moving the service back: the same move, reversed.
 *
 * Interrupted deploys (SIGINT/SIGTERM while watching) are left running: ECS carries on with the
 * rollout and its circuit breaker still protects the service. ferry stops watching, prints the
 * deployments and exits 130; running deploy-app again resumes watching (plan kind `watch`), and
 * `rollback` puts the previous revision back.
 */
import { FerryError, type AppDeployConfig } from '@ferry/core';
import type { EcsPort, LogsPort } from '@ferry/aws';
import { collectFailure, formatFailure } from './failure.ts';
import { markCompleted, markFailed, recordResult } from './records.ts';
import { rollService, type RolloutResult, type RolloutSettings } from './roll.ts';
import { describeDeployments, deploymentViews, ecsRollbackInProgress, rollbackTrigger, shortTaskDefinition } from './rollout.ts';
import { formatServiceDeployment, readServiceDeployment } from './service-deployments.ts';
import { collectTaskLogs } from './task-logs.ts';
import { watchRollout, type WatchOutcome } from './wait.ts';

export interface RecoverContext {
  app: Pick<AppDeployConfig, 'project' | 'deployment'>;
  /** The image the failed rollout was to run, for the message. */
  imageRef: string;
  /** Reads the stopped tasks' last log lines for the report; absent: no logs in it. */
  logs?: LogsPort;
}

/** Explains the failed move `r`, rolls back as configured, and throws. Never returns. */
export async function recover(ecs: EcsPort, r: RolloutResult, ctx: RecoverContext, s: RolloutSettings): Promise<never> {
  const rep = s.reporter;
  const name = ctx.app.project;
  const { move, deploymentId } = r;
  const w = r.watched;

  if (r.outcome.kind === 'interrupted') {
    await recordResult(ecs, move.to, 'interrupted', s);
    // One last look so the user sees where the rollout stands, not where it stood a second ago.
    const now = await ecs.describeServices(move.cluster, [move.service]).then((x) => x.services[0], () => undefined);
    const state = describeDeployments(deploymentViews((now ?? w.service)?.deployments));
    rep.emit({ kind: 'warn', app: name, message: `interrupted: stopped watching deployment ${deploymentId} (${shortTaskDefinition(move.to)}); ECS carries on with the rollout` });
    for (const line of state) rep.emit({ kind: 'info', app: name, message: `  ${line}` });
    rep.emit({ kind: 'info', app: name, message: `next: nx run ${name}:deploy-app (watch it again) | nx run ${name}:health-check | nx run ${name}:rollback (previous revision)` });
    throw new FerryError(
      'INTERRUPTED',
      `${name}: interrupted while watching deployment ${deploymentId} (${shortTaskDefinition(move.to)}). The rollout was left running in ECS. ` +
        `Run \`nx run ${name}:deploy-app\` to watch it again, \`nx run ${name}:health-check\` to check it, or \`nx run ${name}:rollback\` to return to the previous revision.`,
      { exitCode: 130, details: state },
    );
  }

  if (r.outcome.kind === 'superseded') {
    rep.emit({ kind: 'step', app: name, step: 'rollout', status: 'fail', message: `deployment ${deploymentId} was superseded: ${r.outcome.reason}` });
    throw new FerryError(
      'DEPLOY_FAILED',
      `${name}: ${r.outcome.reason}. ferry stops watching and does not roll back (that would undo the other deploy). Next: \`nx run ${name}:health-check\` once it settles, or \`nx run ${name}:diff\` to see what runs now.`,
      { details: describeDeployments(deploymentViews(w.service?.deployments)) },
    );
  }

  // ECS may show our deployment FAILED for a moment before it starts its own rollback (breaker or
  // alarm set to roll back): give it a short while rather than racing it with a rollback of ours.
  const breaker = ctx.app.deployment.circuitBreaker;
  let outcome: WatchOutcome = r.outcome;
  let result = w;
  const ecsRolling = ecsRollbackInProgress(w.service, deploymentId);
  if (ecsRolling && outcome.kind !== 'rolled-back') {
    // The watch ended (a timeout, or a FAILED seen first) while ECS is already rolling back: never
    // start a rollback of ferry's own beside it; wait for ECS's.
    outcome = { kind: 'rolled-back', reason: `${ecsRolling.id} is rolling back`, to: ecsRolling.id ?? '', toTaskDefinition: ecsRolling.taskDefinition, by: rollbackTrigger(ecsRolling.rolloutStateReason) };
  } else if (outcome.kind === 'failed' && breaker.enable && breaker.rollback && move.from) {
    result = await watchRollout(ecs, { app: name, cluster: move.cluster, service: move.service, deploymentId, timeoutMs: 15_000, intervalMs: s.intervalMs, since: Date.now(), signal: s.signal, reporter: rep, clock: s.clock });
    if (result.outcome.kind === 'rolled-back') outcome = result.outcome;
    result = { ...result, events: [...w.events, ...result.events] };
  }

  const lastSeen = result.lastSeen ?? w.lastSeen;
  const failure = await collectFailure(ecs, move.cluster, move.service, lastSeen, deploymentId, result.events);
  const details = formatFailure(failure);
  // The report ends with what the failed tasks said themselves: usually the first thing to read.
  if (ctx.logs && failure.tasks?.length) details.push(...(await collectTaskLogs(ecs, ctx.logs, failure.tasks)));
  const reason = (lastSeen?.rolloutStateReason && !/in progress\.?$/.test(lastSeen.rolloutStateReason) ? lastSeen.rolloutStateReason : '').replace(/\.$/, '');
  const by = outcome.kind === 'rolled-back' ? { 'circuit-breaker': "ECS's circuit breaker", alarm: "ECS's deployment alarm", ecs: 'ECS' }[outcome.by] : '';
  const what =
    outcome.kind === 'timeout'
      ? `did not complete within ${(move.timeoutMs ?? s.timeoutMs) / 1000}s${s.timeoutHint ? ` (${s.timeoutHint})` : ''}`
      : outcome.kind === 'rolled-back'
        ? `failed${reason ? ` (${reason})` : ''} and ${by} rolled the service back to ${shortTaskDefinition(outcome.toTaskDefinition)} (deployment ${outcome.to})`
        : outcome.kind === 'failed'
          ? `failed: ${outcome.reason.replace(/\.$/, '')}`
          : 'failed';
  rep.emit({ kind: 'step', app: name, step: 'rollout', status: 'fail', message: `deployment ${deploymentId} (${shortTaskDefinition(move.to)}) ${what}`, data: { details } });
  await markFailed(ecs, move.to);
  await recordResult(ecs, move.to, outcome.kind === 'timeout' ? 'timeout' : 'failed', s);

  // A rollback must get its chance to finish even when --timeout cut the deploy short.
  const rollbackTimeout = Math.max(s.timeoutMs, ctx.app.deployment.timeoutSeconds * 1000);
  let note: string;
  if (outcome.kind === 'rolled-back') {
    // ECS is rolling back on its own: wait for that deployment to complete (or fail), never start another.
    rep.emit({ kind: 'step', app: name, step: 'rollback', status: 'start', message: `ECS is rolling back to ${shortTaskDefinition(outcome.toTaskDefinition)} (deployment ${outcome.to}); waiting for it to complete` });
    const back = await rollService(ecs, { ...move, from: move.to, to: outcome.toTaskDefinition ?? move.from ?? '', start: { kind: 'watch', deploymentId: outcome.to, since: Date.now() }, timeoutMs: rollbackTimeout }, { ...s, beforeWrite: undefined });
    note = await rollbackVerdict(ecs, name, back, s);
  } else if (!s.rollback) {
    note = `Not rolled back (--no-rollback): the service still targets ${shortTaskDefinition(move.to)}.`;
  } else if (!move.from) {
    note = 'No previous revision to roll back to (the service was just created).';
  } else {
    rep.emit({ kind: 'step', app: name, step: 'rollback', status: 'start', message: `rolling back to ${shortTaskDefinition(move.from)}` });
    try {
      const back = await rollService(ecs, { ...move, from: move.to, to: move.from, start: { kind: 'update' }, timeoutMs: rollbackTimeout }, s);
      note = await rollbackVerdict(ecs, name, back, s);
    } catch (e) {
      note = `Automatic rollback to ${shortTaskDefinition(move.from)} failed: ${(e as Error).message}.`;
    }
  }

  // What ECS itself concluded, now that any rollback has run its course (where the account allows the API).
  const ecsView = move.start.kind === 'watch' ? undefined : await readServiceDeployment(ecs, move.cluster, move.service, r.startedAt);
  details.unshift(...formatServiceDeployment(ecsView));
  throw new FerryError(
    outcome.kind === 'timeout' ? 'ROLLOUT_TIMEOUT' : 'DEPLOY_FAILED',
    `${name}: deployment ${deploymentId} of ${shortTaskDefinition(move.to)} (${ctx.imageRef}) ${what}. ${note} ` +
      `Next: read the reasons below and the container logs, compare with \`nx run ${name}:diff\`, fix and deploy again, or \`nx run ${name}:rollback --to <tag|revision>\`.`,
    { details },
  );
}

/** How the rollback `back` ended, as one sentence; a completed one is recorded on its revision. */
async function rollbackVerdict(ecs: EcsPort, name: string, back: RolloutResult, s: RolloutSettings): Promise<string> {
  const arn = back.move.to;
  if (back.outcome.kind === 'completed') {
    if (arn) {
      await markCompleted(ecs, arn).catch(() => undefined);
      await recordResult(ecs, arn, 'completed', { ...s, returning: true });
    }
    s.reporter.emit({ kind: 'step', app: name, step: 'rollback', status: 'done', message: `rolled back: ${shortTaskDefinition(arn)} is live again` });
    return `Rolled back: ${shortTaskDefinition(arn)} is live again.`;
  }
  if (back.outcome.kind === 'interrupted') return `Interrupted while the rollback to ${shortTaskDefinition(arn)} was in progress (it continues in ECS).`;
  s.reporter.emit({ kind: 'step', app: name, step: 'rollback', status: 'fail', message: `the rollback to ${shortTaskDefinition(arn)} did not complete (${back.outcome.kind})` });
  const why = back.outcome.kind === 'failed' || back.outcome.kind === 'rolled-back' ? back.outcome.reason : back.outcome.kind;
  return `The rollback to ${shortTaskDefinition(arn)} did not complete either (${why}); the service needs attention.`;
}
