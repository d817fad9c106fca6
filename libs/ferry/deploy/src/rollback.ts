/**
 * rollback: point the service at an earlier revision, no rebuild. The target is the previous
 * completed revision (the last one whose rollout completed, with another image), or `--to` a
 * content tag or revision number. The move is the rollout primitive (roll.ts), so watching and the
 * failure path (recover.ts) are deploy-app's own.
 */
import { FerryError, type ResolvedApp } from '@ferry/core';
import type { DeployPorts } from './apply.ts';
import { readLive } from './live.ts';
import { markCompleted, recordResult } from './records.ts';
import { recover } from './recover.ts';
import { findRevision, listRevisions, previousCompleted, type RevisionInfo } from './revisions.ts';
import { lastSuccessfulMigration } from './migrate.ts';
import { rollService, type RolloutSettings } from './roll.ts';
import { shortTaskDefinition } from './rollout.ts';
import { primaryTaskDefinition } from './spec.ts';
import { imageTagOf } from './task-definition.ts';

export interface RollbackPlan {
  app: string;
  cluster: string;
  service: string;
  /** What runs now. */
  fromArn: string;
  target: RevisionInfo;
  /** Nothing to do: the target is already live. */
  alreadyLive: boolean;
  /** The revision whose migration last succeeded, when the target is older than it (rollback asks for --force). */
  pastMigration?: RevisionInfo;
}

export async function planRollback(ports: DeployPorts, resolved: ResolvedApp, to?: string): Promise<RollbackPlan> {
  const { app, env } = resolved;
  const live = await readLive(ports.ecs, app, env);
  if (!live) throw new FerryError('NOT_FOUND', `${app.project}: service ${app.service} does not exist in cluster ${env.cluster}; there is nothing to roll back. Deploy it: nx run ${app.project}:deploy`);
  const fromArn = primaryTaskDefinition(live.service) ?? '';
  const revisions = await listRevisions(ports.ecs, app.family);
  const target = to ? findRevision(revisions, to, app.family) : previousCompleted(revisions, fromArn);
  if (!target) {
    throw new FerryError(
      'NOT_FOUND',
      `${app.project}: no earlier completed revision of ${app.family} with a different image to roll back to (live: ${shortTaskDefinition(fromArn)}). Pick one with --to <tag|revision>; revisions: ${revisions.map((r) => r.revision).join(', ')}.`,
    );
  }
  const migrated = lastSuccessfulMigration(revisions);
  const pastMigration = migrated && target.revision < migrated.revision && target.arn !== fromArn ? migrated : undefined;
  return { app: app.project, cluster: env.cluster, service: app.service, fromArn, target, alreadyLive: target.arn === fromArn, ...(pastMigration && { pastMigration }) };
}

export function formatRollbackPlan(p: RollbackPlan): string[] {
  if (p.alreadyLive) return [`${p.app}: ${shortTaskDefinition(p.target.arn)} is already live; nothing to do`];
  return [
    ...(p.pastMigration
      ? [`${p.app}: ${shortTaskDefinition(p.target.arn)} is older than ${shortTaskDefinition(p.pastMigration.arn)}, whose migration succeeded: the rollback needs --force`]
      : []),
    `${p.app}: would roll ${p.service} back from ${shortTaskDefinition(p.fromArn)} to ${shortTaskDefinition(p.target.arn)} (${p.target.contentTag ?? imageTagOf(p.target.image) ?? p.target.image})`,
    'UpdateService ' + JSON.stringify({ cluster: p.cluster, service: p.service, taskDefinition: p.target.arn }, null, 2),
  ];
}

/** Moves the service to the plan's target and waits; a failed move goes through recover.ts. */
export async function applyRollback(ports: DeployPorts, resolved: ResolvedApp, p: RollbackPlan, s: RolloutSettings): Promise<{ deploymentId: string } | undefined> {
  if (p.alreadyLive) return undefined;
  const tag = imageTagOf(p.target.image);
  if (tag && !(await ports.imageExists(resolved.app.repository, tag))) {
    throw new FerryError('NOT_FOUND', `${p.app}: the image of ${shortTaskDefinition(p.target.arn)} (${p.target.image}) is no longer in ECR (expired by the lifecycle policy?). Pick another revision with --to, or rebuild it.`);
  }
  s.reporter.emit({ kind: 'step', app: p.app, step: 'rollback', status: 'start', message: `rolling ${p.service} to ${shortTaskDefinition(p.target.arn)} (${p.target.image ?? ''})` });
  const r = await rollService(ports.ecs, { app: p.app, cluster: p.cluster, service: p.service, from: p.fromArn, to: p.target.arn, start: { kind: 'update' } }, s);
  if (r.outcome.kind !== 'completed') return recover(ports.ecs, r, { app: resolved.app, imageRef: p.target.image ?? '', logs: ports.logs }, s);
  s.reporter.emit({ kind: 'step', app: p.app, step: 'rollback', status: 'done', message: `${shortTaskDefinition(p.target.arn)} is live` });
  await markCompleted(ports.ecs, p.target.arn);
  await recordResult(ports.ecs, p.target.arn, 'completed', { ...s, returning: true });
  return { deploymentId: r.deploymentId };
}
