/**
 * The rollout primitive: roll a service from revision A to revision B, watch the deployment it
 * started, and return a typed outcome. deploy-app's apply (apply.ts), the automatic rollback after a
 * failure (recover.ts) and the `rollback` command (rollback.ts) all move a service this way, the
 * way ecspresso's rollback is its deploy to the previous revision.
 *
 * It never throws for a rollout that went wrong: a failed, rolled-back, superseded, timed-out or
 * interrupted rollout is an outcome the caller decides about. It throws only when the rollout
 * could not be started (the UpdateService/CreateService call failed), or when ECS answered with a
 * PRIMARY deployment that is not running the revision asked for.
 */
import { FerryError, type Clock, type Reporter } from '@ferry/core';
import type { CreateServiceInput, EcsService, UpdateServiceInput } from '@ferry/aws';
import type { EcsPort } from '@ferry/aws';
import { shortTaskDefinition } from './rollout.ts';
import type { RolloutPolls } from './service-polls.ts';
import { latestEventTime, watchRollout, type WatchOutcome, type WatchResult } from './wait.ts';

/** How a rollout is run and watched. */
export interface RolloutSettings {
  /** Roll back automatically when the rollout fails or times out (default true; `--no-rollback`). */
  rollback: boolean;
  timeoutMs: number;
  /** What the timeout message names besides the timeout: the target group's health-check timing and deregistration delay. */
  timeoutHint?: string;
  intervalMs?: number;
  signal?: AbortSignal;
  reporter: Reporter;
  /** Called right before each write that starts or changes a rollout (the lock's verify()). */
  beforeWrite?: () => Promise<void>;
  /** Who deploys, recorded on the revision (`ferry:deployed-by`). */
  deployedBy?: string;
  /** How long the service's last rollout took (expectedRolloutMs of its live view): the watcher polls faster around then. */
  expectedRolloutMs?: number;
  /** The run's shared rollout pollers and their budget of faster polls (the session's `rolloutPolls`). */
  polls?: RolloutPolls;
  /** The run's DeregisterTaskDefinition budget for pruning after a completed rollout (the session's `deregistrations`). */
  deregistrations?: () => boolean;
  clock?: Clock;
}

/** One move of a service between two revisions. */
export interface ServiceMove {
  /** Nx project, for messages. */
  app: string;
  cluster: string;
  service: string;
  /** The revision that runs now: where a rollback of this move returns to. Undefined for a new service. */
  from?: string;
  /** The registered revision (ARN) the service is to run. */
  to: string;
  /**
   * How the rollout starts: UpdateService with `to` (plus `extra` members such as the desired count
   * and deployment configuration), CreateService from `input` with `to`, or nothing when a
   * deployment of `to` is already rolling out (`watch`, e.g. after an interrupted deploy).
   */
  start:
    | { kind: 'update'; extra?: Omit<UpdateServiceInput, 'cluster' | 'service' | 'taskDefinition'> }
    | { kind: 'create'; input: CreateServiceInput }
    | { kind: 'watch'; deploymentId: string; /** Service events after this (epoch ms) are new; default a minute ago. */ since?: number };
  /** A timeout other than `settings.timeoutMs` (the rollback of a deploy gets at least the app's own). */
  timeoutMs?: number;
}

/** What became of a move. */
export interface RolloutResult {
  move: ServiceMove;
  /** The deployment the move started (or watched). */
  deploymentId: string;
  outcome: WatchOutcome;
  watched: WatchResult;
  serviceArn?: string;
  /** When the move started (epoch ms, the runner's clock): the ServiceDeployments API is asked from here. */
  startedAt: number;
}

/** Starts the move and watches it to a verdict. */
export async function rollService(ecs: EcsPort, move: ServiceMove, s: RolloutSettings): Promise<RolloutResult> {
  const now = () => (s.clock ?? { now: Date.now }).now();
  let deploymentId: string;
  let since: number;
  let serviceArn: string | undefined;
  const startedAt = now();
  if (move.start.kind === 'watch') {
    deploymentId = move.start.deploymentId;
    since = move.start.since ?? now() - 60_000;
  } else {
    since = now() - 1000;
    await s.beforeWrite?.();
    const answer: EcsService =
      move.start.kind === 'create'
        ? await ecs.createService({ ...move.start.input, taskDefinition: move.to })
        : await ecs.updateService({ ...move.start.extra, cluster: move.cluster, service: move.service, taskDefinition: move.to });
    deploymentId = startedDeployment(answer, move);
    serviceArn = answer.serviceArn;
    s.reporter.emit(
      move.start.kind === 'create'
        ? { kind: 'step', app: move.app, step: 'create-service', status: 'done', message: `created service ${move.service}` }
        : { kind: 'step', app: move.app, step: 'update-service', status: 'done', message: `service ${move.service} now targets ${shortTaskDefinition(move.to)}` },
    );
    since = Math.max(since, latestEventTime(answer) - 1);
  }
  s.reporter.emit({ kind: 'step', app: move.app, step: 'rollout', status: 'start', message: `watching deployment ${deploymentId}` });
  const watched = await watchRollout(ecs, {
    app: move.app,
    cluster: move.cluster,
    service: move.service,
    deploymentId,
    timeoutMs: move.timeoutMs ?? s.timeoutMs,
    intervalMs: s.intervalMs,
    since,
    signal: s.signal,
    reporter: s.reporter,
    expectedRolloutMs: s.expectedRolloutMs,
    polls: s.polls,
    clock: s.clock,
  });
  return { move, deploymentId, outcome: watched.outcome, watched, serviceArn: serviceArn ?? watched.service?.serviceArn, startedAt: move.start.kind === 'watch' ? (move.start.since ?? startedAt - 60_000) : startedAt };
}

/**
 * The PRIMARY deployment of an UpdateService/CreateService answer, which must run the revision
 * asked for: judging any other deployment would report someone else's rollout as ours.
 */
export function startedDeployment(answer: EcsService, move: Pick<ServiceMove, 'app' | 'service' | 'to'>): string {
  const primary = answer.deployments?.find((d) => d.status === 'PRIMARY');
  if (!primary?.id) {
    throw new FerryError('DEPLOY_FAILED', `${move.app}: ECS answered for service ${move.service} with no PRIMARY deployment; ferry cannot tell which rollout is its own. Run \`nx run ${move.app}:health-check\` to see the service's state.`);
  }
  if (primary.taskDefinition && primary.taskDefinition !== move.to) {
    throw new FerryError(
      'DEPLOY_FAILED',
      `${move.app}: asked ECS to run ${shortTaskDefinition(move.to)} on ${move.service}, but its PRIMARY deployment ${primary.id} runs ${shortTaskDefinition(primary.taskDefinition)}. ` +
        `Something else changed the service at the same moment; ferry stops here. Run \`nx run ${move.app}:diff\` to see what runs now.`,
    );
  }
  return primary.id;
}
