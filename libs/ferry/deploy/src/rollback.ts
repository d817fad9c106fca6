/**
 * rollback: point the service at an earlier revision, no rebuild. The target is the previous
 * completed revision (the last one whose rollout completed, with another image), or `--to` a
 * content tag or revision number. Then the same watch and failure path as deploy-app.
 */
import { FerryError, type ResolvedApp } from '@ferry/core';
import { listRevisions, readLive, rolloutExisting, type DeployPorts, type DeployResult, type RolloutSettings } from './deploy.ts';
import { findRevision, previousCompleted, type RevisionInfo } from './revisions.ts';
import { shortTaskDefinition } from './rollout.ts';
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
}

export async function planRollback(ports: DeployPorts, resolved: ResolvedApp, to?: string): Promise<RollbackPlan> {
  const { app, env } = resolved;
  const live = await readLive(ports.ecs, app, env);
  if (!live) throw new FerryError('NOT_FOUND', `${app.project}: service ${app.service} does not exist in cluster ${env.cluster}; there is nothing to roll back. Deploy it: nx run ${app.project}:deploy`);
  const fromArn = live.service.deployments?.find((d) => d.status === 'PRIMARY')?.taskDefinition ?? live.service.taskDefinition ?? '';
  const revisions = await listRevisions(ports.ecs, app.family);
  const target = to ? findRevision(revisions, to, app.family) : previousCompleted(revisions, fromArn);
  if (!target) {
    throw new FerryError(
      'NOT_FOUND',
      `${app.project}: no earlier completed revision of ${app.family} with a different image to roll back to (live: ${shortTaskDefinition(fromArn)}). Pick one with --to <tag|revision>; revisions: ${revisions.map((r) => r.revision).join(', ')}.`,
    );
  }
  return { app: app.project, cluster: env.cluster, service: app.service, fromArn, target, alreadyLive: target.arn === fromArn };
}

export function formatRollbackPlan(p: RollbackPlan): string[] {
  if (p.alreadyLive) return [`${p.app}: ${shortTaskDefinition(p.target.arn)} is already live; nothing to do`];
  return [
    `${p.app}: would roll ${p.service} back from ${shortTaskDefinition(p.fromArn)} to ${shortTaskDefinition(p.target.arn)} (${p.target.contentTag ?? imageTagOf(p.target.image) ?? p.target.image})`,
    'UpdateService ' + JSON.stringify({ cluster: p.cluster, service: p.service, taskDefinition: p.target.arn }, null, 2),
  ];
}

export async function applyRollback(ports: DeployPorts, resolved: ResolvedApp, p: RollbackPlan, s: RolloutSettings): Promise<DeployResult | undefined> {
  if (p.alreadyLive) return undefined;
  const tag = imageTagOf(p.target.image);
  if (tag && !(await ports.imageExists(resolved.app.repository, tag))) {
    throw new FerryError('NOT_FOUND', `${p.app}: the image of ${shortTaskDefinition(p.target.arn)} (${p.target.image}) is no longer in ECR (expired by the lifecycle policy?). Pick another revision with --to, or rebuild it.`);
  }
  return rolloutExisting(ports, { app: resolved.app, cluster: p.cluster, arn: p.target.arn, previousArn: p.fromArn, imageRef: p.target.image ?? '' }, s);
}

