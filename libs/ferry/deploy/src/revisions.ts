/**
 * Task-definition revisions: listing a family's ACTIVE revisions with ferry's tags, which to keep
 * and which one a rollback goes to (pure), and pruning the old ones after a good deploy.
 */
import { parseMigrationTags, type MigrationRecord } from './migrate.ts';
import { parseTaskDefinitionRef, type EcsPort } from '@ferry/aws';
import { FerryError, sessionPart, type AppDeployConfig, type Clock, type Reporter } from '@ferry/core';
import { tokenBucket } from './wait.ts';
import { shortTaskDefinition } from './rollout.ts';
import { containerImage, imageTagOf, parsePromotedFrom, TAG_PROMOTED_FROM, type PromotedFrom, TAG_COMPLETED_AT, TAG_CONTENT, TAG_DEPLOYED_AT, TAG_DEPLOYED_BY, TAG_GIT_SHA, TAG_RESULT, TAG_RETURNED_AT, TAG_STATUS, tagValue } from './task-definition.ts';

/** One ACTIVE revision of the family. */
export interface RevisionInfo {
  arn: string;
  revision: number;
  image?: string;
  contentTag?: string;
  /** Value of the `ferry:status` tag (`completed` once a rollout of it completed). */
  status?: string;
  /** `ferry:completed-at` (epoch ms) when known: which completed revision ran most recently. */
  completedAt?: number;
  /** History tags (records.ts recordResult): git revision, who, when (epoch ms), how it ended. */
  gitSha?: string;
  deployedBy?: string;
  deployedAt?: number;
  /** When a rollback last made it live again (`ferry:returned-at`). */
  returnedAt?: number;
  result?: string;
  registeredAt?: number;
  /** The migration run with this revision (migrate.ts), when there was one. */
  migration?: MigrationRecord;
  /** promote registered it: where its image ran before. */
  promotedFrom?: PromotedFrom;
}


/** Revisions belonging exactly to `family` (ListTaskDefinitions' familyPrefix also matches `api-worker` for `api`). */
export function revisionsOfFamily(arns: string[], family: string): { arn: string; revision: number }[] {
  return arns
    .map((arn) => ({ arn, ...parseTaskDefinitionRef(arn) }))
    .filter((r) => r.family === family && r.revision !== undefined)
    .map((r) => ({ arn: r.arn, revision: r.revision as number }))
    .sort((a, b) => b.revision - a.revision);
}

/** Whether `r` may be the rollback target of a service running `liveImage`: a completed revision of another image. */
const rollbackCandidate = (r: RevisionInfo, liveArn: string, liveImage: string | undefined) => r.arn !== liveArn && r.status === 'completed' && (liveImage === undefined || r.image !== liveImage);

/**
 * The previous completed revision: the most recently completed revision whose image differs from
 * the live one. Revisions that never completed (failed rollouts) are never a rollback target.
 */
export function previousCompleted(revisions: RevisionInfo[], liveArn: string): RevisionInfo | undefined {
  const liveImage = revisions.find((r) => r.arn === liveArn)?.image;
  return revisions.filter((r) => rollbackCandidate(r, liveArn, liveImage)).sort((a, b) => (b.completedAt ?? 0) - (a.completedAt ?? 0) || b.revision - a.revision)[0];
}

/** A revision as ListTaskDefinitions names it (revisionsOfFamily). */
export type ListedRevision = { arn: string; revision: number };

/** The revisions beyond the newest `keep` of the family, other than the live one, oldest first: what pruning may remove. */
function beyondKeep(family: ListedRevision[], keep: number, liveArn: string): ListedRevision[] {
  return [...family]
    .sort((a, b) => b.revision - a.revision)
    .slice(Math.max(0, keep))
    .filter((r) => r.arn !== liveArn)
    .reverse();
}

/** At most this many DeregisterTaskDefinition calls per run and family; the rest wait for the next run. */
export const PRUNE_MAX_PER_RUN = 20;
/** DeregisterTaskDefinition calls a run makes per second, all families together (the session's `deregistrations`). */
export const DEREGISTER_PER_SECOND = 2;

/** Revisions after the live one, newest first, that a prune run reads at most to find the rollback target. */
export const PRUNE_LOOKBACK = 4;
/**
 * DescribeTaskDefinition calls of one prune run at most, whatever the size of the family: the live
 * revision, the look-back, and the oldest PRUNE_MAX_PER_RUN + 1 candidates (pruneReads).
 */
export const PRUNE_DESCRIBE_MAX = 1 + PRUNE_LOOKBACK + PRUNE_MAX_PER_RUN + 1;

/** Which revisions one prune run describes, decided from ListTaskDefinitions and the running tasks alone. */
export interface PruneReads {
  /**
   * The oldest revisions beyond `keep`, not the live one, used by no running task: `max` + 1 of them
   * (one may turn out to be the rollback target), oldest first. Only these can be deregistered.
   */
  window: ListedRevision[];
  /**
   * The newest revisions besides the live one and the window, newest first, at most PRUNE_LOOKBACK:
   * where the rollback target is (the revision live before this deploy, unless failed or same-image
   * revisions came between). Read one by one until one is a rollback candidate.
   */
  lookback: ListedRevision[];
}

/** pruneReads (pure): never more than PRUNE_DESCRIBE_MAX - 1 revisions besides the live one. */
export function pruneReads(family: ListedRevision[], keep: number, liveArn: string, running: ReadonlySet<string>, max = PRUNE_MAX_PER_RUN): PruneReads {
  const n = Math.min(Math.max(0, max), PRUNE_MAX_PER_RUN);
  const window = n > 0 ? beyondKeep(family, keep, liveArn).filter((r) => !running.has(r.arn)).slice(0, n + 1) : [];
  if (!window.length) return { window, lookback: [] };
  const inWindow = new Set(window.map((r) => r.arn));
  const lookback = [...family]
    .sort((a, b) => b.revision - a.revision)
    .filter((r) => r.arn !== liveArn && !inWindow.has(r.arn))
    .slice(0, PRUNE_LOOKBACK);
  return { window, lookback };
}

/** What one prune run does: which revisions it deregisters, which it spares because tasks run them, how many wait. */
export interface PruneSelection {
  /** Oldest first (the oldest are the least likely to be wanted again), at most `max`. */
  deregister: RevisionInfo[];
  /** Beyond `keep` but used by a task with desired status RUNNING: never deregistered. */
  inUse: ListedRevision[];
  /** Left for a later run (over `max`, or not read this run). */
  deferred: number;
  /** The rollback target among the revisions read: never deregistered. */
  rollbackTarget?: RevisionInfo;
}

/**
 * The prune plan (pure). `family`: the family's ACTIVE revisions (ListTaskDefinitions); `described`:
 * the ones read (DescribeTaskDefinition: tags, image), the live one among them. Deregisters, oldest
 * first and at most `max`, revisions beyond the newest `keep` that were read, never the live one,
 * the rollback target (previousCompleted of the revisions read), nor one a running task uses
 * (ListTasks + DescribeTasks of the cluster: a standalone task, or a service of another name on
 * the family). A revision not read is never deregistered: the true rollback target, if it was not
 * read, is therefore safe, and any revision read other than the target chosen here cannot be it
 * (the target is the most recently completed; the one chosen is the most recent of those read).
 */
export function pruneSelection(
  family: ListedRevision[],
  described: RevisionInfo[],
  keep: number,
  liveArn: string,
  runningTaskDefinitions: ReadonlySet<string>,
  max = PRUNE_MAX_PER_RUN,
): PruneSelection {
  const read = new Map(described.map((r) => [r.arn, r]));
  const rollbackTarget = previousCompleted(described, liveArn);
  const candidates = beyondKeep(family, keep, liveArn).filter((r) => r.arn !== rollbackTarget?.arn);
  const inUse = candidates.filter((r) => runningTaskDefinitions.has(r.arn));
  const free = candidates.filter((r) => !runningTaskDefinitions.has(r.arn));
  const deregister = free
    .map((r) => read.get(r.arn))
    .filter((r): r is RevisionInfo => !!r)
    .slice(0, Math.max(0, max));
  return { deregister, inUse, deferred: free.length - deregister.length, ...(rollbackTarget && { rollbackTarget }) };
}

/**
 * `--to <tag|revision>`: a revision number (`7` or `family:7`), or a content tag (the ferry tag, or
 * the image tag of the revision). The newest match wins.
 */
export function findRevision(revisions: RevisionInfo[], to: string, family: string): RevisionInfo {
  const ref = parseTaskDefinitionRef(to);
  const asNumber = /^\d+$/.test(to) ? Number(to) : ref.family === family ? ref.revision : undefined;
  const sorted = [...revisions].sort((a, b) => b.revision - a.revision);
  const found =
    asNumber !== undefined
      ? sorted.find((r) => r.revision === asNumber)
      : sorted.find((r) => r.contentTag === to || imageTagOf(r.image) === to);
  if (!found) {
    const known = sorted.slice(0, 10).map((r) => `${r.revision}${r.contentTag ? ` (${r.contentTag})` : ''}`);
    throw new FerryError('NOT_FOUND', `no ACTIVE revision of ${family} matches "${to}". Known revisions: ${known.join(', ') || 'none'}. Pass a revision number or a content tag.`);
  }
  return found;
}


/** Every ACTIVE revision of the app's family with ferry's tags, newest first. */
export async function listRevisions(ecs: EcsPort, family: string): Promise<RevisionInfo[]> {
  return describeRevisions(ecs, await familyRevisions(ecs, family));
}

/** The family's ACTIVE revisions (ListTaskDefinitions), newest first, without reading them. */
async function familyRevisions(ecs: EcsPort, family: string): Promise<{ arn: string; revision: number }[]> {
  return revisionsOfFamily(await ecs.listTaskDefinitions(family), family);
}

/** DescribeTaskDefinition of each revision, DESCRIBE_CONCURRENCY at a time, in the given order. */
const DESCRIBE_CONCURRENCY = 4;
async function describeRevisions(ecs: EcsPort, revisions: { arn: string; revision: number }[]): Promise<RevisionInfo[]> {
  const out: RevisionInfo[] = new Array(revisions.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < revisions.length; i = next++) out[i] = await describeRevision(ecs, revisions[i]);
  };
  await Promise.all(Array.from({ length: Math.min(DESCRIBE_CONCURRENCY, revisions.length) }, worker));
  return out;
}

async function describeRevision(ecs: EcsPort, r: { arn: string; revision: number }): Promise<RevisionInfo> {
  const { taskDefinition, tags } = await ecs.describeTaskDefinition(r.arn);
  const time = (key: string) => Number(tagValue(tags, key)) || undefined;
  return {
    arn: r.arn,
    revision: r.revision,
    image: containerImage(taskDefinition),
    contentTag: tagValue(tags, TAG_CONTENT),
    status: tagValue(tags, TAG_STATUS),
    completedAt: time(TAG_COMPLETED_AT),
    gitSha: tagValue(tags, TAG_GIT_SHA),
    deployedBy: tagValue(tags, TAG_DEPLOYED_BY),
    deployedAt: time(TAG_DEPLOYED_AT),
    returnedAt: time(TAG_RETURNED_AT),
    result: tagValue(tags, TAG_RESULT),
    registeredAt: taskDefinition.registeredAt ? new Date(taskDefinition.registeredAt).getTime() : undefined,
    ...((m) => (m ? { migration: m } : {}))(parseMigrationTags(tags)),
    ...((p) => (p ? { promotedFrom: p } : {}))(parsePromotedFrom(tagValue(tags, TAG_PROMOTED_FROM))),
  };
}

/** How a prune run paces its DeregisterTaskDefinition calls: the run's budget (a token bucket), its clock and interrupt. */
export interface PrunePacing {
  /** Takes one call from the run's budget (the session's `deregistrations`); false: wait and ask again. */
  take: () => boolean;
  clock: Pick<Clock, 'sleep'>;
  signal?: AbortSignal;
  /** At most this many deregistrations (default PRUNE_MAX_PER_RUN). */
  max?: number;
}

/** The DeregisterTaskDefinition budget of a run: DEREGISTER_PER_SECOND for all the families it prunes. */
export const deregistrations = sessionPart('deregistrations', (s) => tokenBucket(DEREGISTER_PER_SECOND, s.clock));

/**
 * After a good deploy: deregisters the revisions beyond `keepRevisions` (pruneSelection), at most
 * `pacing.max` of them, one at a time out of the run's budget, never one a RUNNING task of the
 * environment's cluster uses. Reads no revision while the family has no more than `keepRevisions`;
 * otherwise reads the family's listing, the running tasks of the family, and at most
 * PRUNE_DESCRIBE_MAX revisions (pruneReads), however many the family has: a family of hundreds is
 * pruned over several deploys, each reading about as many revisions as it deregisters.
 * Scheduled tasks (EventBridge rules naming a revision) are not seen: `keepRevisions` is their
 * guard (docs/runbook.md). A failure here is a warning: cleanup must not turn a good deploy into a
 * failed one.
 */
export async function pruneRevisions(
  ecs: EcsPort,
  app: Pick<AppDeployConfig, 'project' | 'family' | 'keepRevisions'>,
  where: { cluster: string; liveArn: string },
  reporter: Reporter,
  pacing: PrunePacing,
): Promise<string[]> {
  const family = await familyRevisions(ecs, app.family);
  if (family.length <= Math.max(0, app.keepRevisions)) return [];
  const taskArns = await ecs.listFamilyTasks(where.cluster, app.family);
  const running = new Set((taskArns.length ? await ecs.describeTasks(where.cluster, taskArns) : []).map((t) => t.taskDefinitionArn ?? ''));
  const max = pacing.max ?? PRUNE_MAX_PER_RUN;
  const reads = pruneReads(family, app.keepRevisions, where.liveArn, running, max);
  const described: RevisionInfo[] = [];
  if (reads.window.length) {
    const live = { arn: where.liveArn, revision: parseTaskDefinitionRef(where.liveArn).revision ?? 0 };
    const [first, ...more] = reads.lookback;
    described.push(...(await describeRevisions(ecs, [live, ...(first ? [first] : []), ...reads.window])));
    // The rest of the look-back one at a time, until a rollback candidate is found (usually at once).
    const liveImage = described[0].image;
    const found = () => described.some((r) => reads.lookback.some((l) => l.arn === r.arn) && rollbackCandidate(r, where.liveArn, liveImage));
    for (const r of more) {
      if (found()) break;
      described.push(await describeRevision(ecs, r));
    }
  }
  const pick = pruneSelection(family, described, app.keepRevisions, where.liveArn, running, max);
  const done: string[] = [];
  for (const r of pick.deregister) {
    while (!pacing.take()) if (!(await pacing.clock.sleep(100, pacing.signal))) break;
    if (pacing.signal?.aborted) break;
    try {
      await ecs.deregisterTaskDefinition(r.arn);
      done.push(r.arn);
    } catch (e) {
      reporter.emit({ kind: 'warn', app: app.project, message: `could not deregister ${shortTaskDefinition(r.arn)}: ${(e as Error).message}` });
    }
  }
  const left = pick.deferred + (pick.deregister.length - done.length);
  const notes = [
    pick.inUse.length ? `kept ${pick.inUse.map((r) => shortTaskDefinition(r.arn)).join(', ')} (running tasks use them)` : '',
    left ? `${left} more left for the next deploy (at most ${max} per run)` : '',
  ].filter(Boolean);
  if (done.length || notes.length) {
    const head = done.length ? `deregistered ${done.length} old revision(s): ${done.map(shortTaskDefinition).join(', ')}` : 'deregistered no old revision';
    reporter.emit({ kind: 'step', app: app.project, step: 'cleanup', status: 'done', message: [head, ...notes].join('; ') });
  }
  return done;
}
