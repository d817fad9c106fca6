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
import { describeRevisions, findNamedRevision, findRollbackTarget, REVISION_READS_MAX, revisionFromDescribe, revisionLister, revisionNumberOf, type RevisionInfo } from './revisions.ts';
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
  /** `--to` a revision older than the newest REVISION_READS_MAX: those between were not read for migrations (rollback asks for --force). */
  migrationsUnread?: boolean;
}

/**
 * Reads the newest revisions only (revisions.ts findRollbackTarget / findNamedRevision): without
 * `to`, the newest ROLLBACK_PAGE and further pages while none is a candidate, at most
 * REVISION_READS_MAX; `--to <n>` that revision and the ones newer than it (their migrations, at
 * most REVISION_READS_MAX); `--to <tag>` newest first until the tag, at most REVISION_READS_MAX.
 */
export async function planRollback(ports: DeployPorts, resolved: ResolvedApp, to?: string): Promise<RollbackPlan> {
  const { app, env } = resolved;
  const live = await readLive(ports.ecs, app, env);
  if (!live) throw new FerryError('NOT_FOUND', `${app.project}: service ${app.service} does not exist in cluster ${env.cluster}; there is nothing to roll back. Deploy it: nx run ${app.project}:deploy`);
  const fromArn = primaryTaskDefinition(live.service) ?? '';
  let target: RevisionInfo;
  let read: RevisionInfo[];
  let migrationUnread = false;
  // readLive has read the live revision: not described again.
  const liveRevision = live.taskDef ? revisionFromDescribe(live.taskDef) : undefined;
  const known = liveRevision ? [liveRevision] : [];
  if (to) {
    ({ found: target, read } = await findNamedRevision(ports.ecs, app.family, to, '--to', known));
    if (revisionNumberOf(to, app.family) !== undefined) {
      const newer = await revisionsNewerThan(ports.ecs, app.family, target.revision, known);
      read = [...read, ...newer.read];
      migrationUnread = newer.unread;
    }
  } else {
    const search = await findRollbackTarget(ports.ecs, app.family, fromArn, known);
    read = search.read;
    if (search.kind === 'bound') {
      throw new FerryError(
        'NOT_FOUND',
        `${app.project}: no completed revision of ${app.family} with a different image among its newest ${REVISION_READS_MAX} revisions (live: ${shortTaskDefinition(fromArn)}), and ferry reads no further to pick one. Pick one with --to <revision|tag>: nx run ${app.project}:history shows the newest, --all every one.`,
      );
    }
    if (search.kind === 'none') {
      throw new FerryError(
        'NOT_FOUND',
        `${app.project}: no earlier completed revision of ${app.family} with a different image to roll back to (live: ${shortTaskDefinition(fromArn)}). Pick one with --to <tag|revision>; revisions: ${read.map((r) => r.revision).join(', ')}.`,
      );
    }
    target = search.found;
  }
  const migrated = lastSuccessfulMigration(read);
  const pastMigration = migrated && target.revision < migrated.revision && target.arn !== fromArn ? migrated : undefined;
  const unread = migrationUnread && !pastMigration && target.arn !== fromArn;
  return { app: app.project, cluster: env.cluster, service: app.service, fromArn, target, alreadyLive: target.arn === fromArn, ...(pastMigration && { pastMigration }), ...(unread && { migrationsUnread: true }) };
}

/**
 * The revisions newer than `revision`, at most REVISION_READS_MAX of them read (`known` ones, the
 * live revision, not again); `unread`: there are more than that (their migrations were not seen).
 */
async function revisionsNewerThan(ecs: DeployPorts['ecs'], family: string, revision: number, known: RevisionInfo[]): Promise<{ read: RevisionInfo[]; unread: boolean }> {
  const lister = revisionLister(ecs, family, REVISION_READS_MAX + 1);
  const listed = (await lister.first(REVISION_READS_MAX + 1)).filter((r) => r.revision > revision);
  const have = new Map(known.map((r) => [r.arn, r]));
  const wanted = listed.slice(0, REVISION_READS_MAX);
  const read = [...wanted.flatMap((r) => have.get(r.arn) ?? []), ...(await describeRevisions(ecs, wanted.filter((r) => !have.has(r.arn))))];
  return { read, unread: listed.length > REVISION_READS_MAX || (listed.length === REVISION_READS_MAX && !lister.complete) };
}

/**
 * A rollback to a revision older than the newest REVISION_READS_MAX: the revisions between were not
 * read for a successful migration, so it goes ahead only with --force (a note), like a rollback
 * past a migration. Pure.
 */
export function checkMigrationsUnread(p: RollbackPlan, force: boolean): string | undefined {
  if (!p.migrationsUnread) return undefined;
  const what = `${p.app}: ${shortTaskDefinition(p.target.arn)} is older than the newest ${REVISION_READS_MAX} revisions, and ferry did not read the ones between for a migration that succeeded`;
  if (force) return `${what}; rolling back anyway (--force).`;
  throw new FerryError('USAGE', `${what}. If none of them migrated a schema the old code cannot work with, run the rollback again with --force.`);
}

export function formatRollbackPlan(p: RollbackPlan): string[] {
  if (p.alreadyLive) return [`${p.app}: ${shortTaskDefinition(p.target.arn)} is already live; nothing to do`];
  return [
    ...(p.pastMigration
      ? [`${p.app}: ${shortTaskDefinition(p.target.arn)} is older than ${shortTaskDefinition(p.pastMigration.arn)}, whose migration succeeded: the rollback needs --force`]
      : []),
    ...(p.migrationsUnread ? [`${p.app}: ${shortTaskDefinition(p.target.arn)} is older than the newest ${REVISION_READS_MAX} revisions, not all read for migrations: the rollback needs --force`] : []),
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
