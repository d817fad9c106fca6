/**
 * Task-definition revisions: listing a family's ACTIVE revisions with ferry's tags, which to keep
 * and which one a rollback goes to (pure), and pruning the old ones after a good deploy.
 */
import { parseMigrationTags, type MigrationRecord } from './migrate.ts';
import { awsErrorName, parseTaskDefinitionRef, type EcsPort, type EcsTag, type EcsTaskDefinition as TaskDefinition } from '@ferry/aws';
import { FerryError, sessionPart, type AppDeployConfig, type Clock, type Reporter } from '@ferry/core';
import { tokenBucket } from './token-bucket.ts';
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


/**
 * Revisions belonging exactly to `family`, newest first. AWS's familyPrefix is the full family name
 * (ECS model), but ferry does not rely on it: a prefix match would list `api-worker` for `api`.
 */
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
  const found = matchRevision(revisions, to, family);
  if (!found) throw noMatch(family, to, revisions);
  return found;
}

/** The revision number `to` names (`7` or `family:7`), or undefined: a content tag. Pure. */
export function revisionNumberOf(to: string, family: string): number | undefined {
  const ref = parseTaskDefinitionRef(to);
  return /^\d+$/.test(to) ? Number(to) : ref.family === family ? ref.revision : undefined;
}

/** findRevision without the error: the newest revision `to` names, if among `revisions`. Pure. */
export function matchRevision(revisions: RevisionInfo[], to: string, family: string): RevisionInfo | undefined {
  const asNumber = revisionNumberOf(to, family);
  const sorted = [...revisions].sort((a, b) => b.revision - a.revision);
  return asNumber !== undefined ? sorted.find((r) => r.revision === asNumber) : sorted.find((r) => r.contentTag === to || imageTagOf(r.image) === to);
}

function noMatch(family: string, to: string, known: Array<{ revision: number; contentTag?: string }>): FerryError {
  const names = [...known].sort((a, b) => b.revision - a.revision).slice(0, 10).map((r) => `${r.revision}${r.contentTag ? ` (${r.contentTag})` : ''}`);
  return new FerryError('NOT_FOUND', `no ACTIVE revision of ${family} matches "${to}". Known revisions: ${names.join(', ') || 'none'}. Pass a revision number or a content tag.`);
}


/**
 * Every ACTIVE revision of the app's family with ferry's tags, newest first: one
 * DescribeTaskDefinition per revision. Only `history --all` reads this way; history, rollback and
 * run read the newest few (below).
 */
export async function listRevisions(ecs: EcsPort, family: string): Promise<RevisionInfo[]> {
  return describeRevisions(ecs, await familyRevisions(ecs, family));
}

// --- Bounded reads: history, rollback and run read the newest revisions first, and only as many
// as they need. ListTaskDefinitions with `sort: DESC` lists a family's revisions newest first,
// `maxResults` (1–100, default 100) a page (ECS model, ListTaskDefinitionsRequest).

/** ListTaskDefinitions' largest page (ECS model: maxResults 1–100). */
export const LIST_PAGE_MAX = 100;
/** history reads this many revisions beyond `--limit`, newest by number (historyReads). */
export const HISTORY_MARGIN = 5;
/** rollback reads the newest revisions this many at a time (a page of DescribeTaskDefinition). */
export const ROLLBACK_PAGE = 10;
/**
 * rollback and run read at most this many revisions of the family to find a target (the previous
 * completed one, or a content tag); past it they stop and ask for a revision number.
 */
export const REVISION_READS_MAX = 50;

/** The family's revisions newest first, listed a page at a time and only as far as asked. */
export interface RevisionLister {
  /** The newest `n` (fewer when the family has fewer): lists more pages only when needed. */
  first(n: number): Promise<ListedRevision[]>;
  /** Whether the listing is complete (no further page). */
  readonly complete: boolean;
}

/** A lister of `family` whose ListTaskDefinitions calls ask for `pageSize` (1–100) revisions. */
export function revisionLister(ecs: EcsPort, family: string, pageSize: number): RevisionLister {
  const listed: ListedRevision[] = [];
  let nextToken: string | undefined;
  let complete = false;
  const maxResults = Math.min(LIST_PAGE_MAX, Math.max(1, Math.floor(pageSize)));
  return {
    get complete() {
      return complete;
    },
    async first(n) {
      while (listed.length < n && !complete) {
        const page = await ecs.listTaskDefinitionPage(family, { maxResults, ...(nextToken && { nextToken }) });
        // Newest first within the family; revisionsOfFamily drops any other family's revisions.
        listed.push(...revisionsOfFamily(page.arns, family));
        nextToken = page.nextToken;
        complete = !nextToken;
      }
      return listed.slice(0, n);
    },
  };
}

/**
 * Which revisions `history` describes (pure): the newest `limit + HISTORY_MARGIN` by revision
 * number, and the live one when it is not among them. Rows are ordered by deploy time, which
 * follows the revision number for everything ferry deploys (a rollback keeps a revision's
 * `ferry:deployed-at`); the margin and the live revision cover the exceptions (a revision from
 * before ferry recorded deploy times, made live again).
 */
export function historyReads(listed: ListedRevision[], limit: number, liveArn?: string): ListedRevision[] {
  const window = [...listed].sort((a, b) => b.revision - a.revision).slice(0, Math.max(1, limit) + HISTORY_MARGIN);
  const live = liveArn ? revisionsOfFamily([liveArn], parseTaskDefinitionRef(liveArn).family ?? '')[0] : undefined;
  return live && !window.some((r) => r.arn === live.arn) ? [...window, live] : window;
}

/** What rollback does after reading a prefix of the family, newest first (rollbackStep). */
export type RollbackStep =
  | { kind: 'target'; target: RevisionInfo }
  | { kind: 'read'; count: number }
  /** The whole family was read: no candidate. */
  | { kind: 'none' }
  /** REVISION_READS_MAX read, no candidate, more revisions listed: ask for --to. */
  | { kind: 'bound' };

/**
 * rollbackStep (pure). `read`: the described revisions (the newest `prefix` of the listing, and the
 * live one wherever it is); `more`: whether the family has revisions beyond that prefix. The
 * target is previousCompleted of what was read: exact for a family of up to ROLLBACK_PAGE
 * revisions (the first page is read whole, as before), and for a longer one unless a revision
 * older than the pages read completed after every candidate in them (a rollback to an old
 * revision, then deploys: pass --to). No candidate yet: read the next page, up to
 * REVISION_READS_MAX revisions of the listing.
 */
export function rollbackStep(read: RevisionInfo[], liveArn: string, prefix: number, more: boolean): RollbackStep {
  const target = previousCompleted(read, liveArn);
  if (target) return { kind: 'target', target };
  if (!more) return { kind: 'none' };
  if (prefix >= REVISION_READS_MAX) return { kind: 'bound' };
  return { kind: 'read', count: Math.min(ROLLBACK_PAGE, REVISION_READS_MAX - prefix) };
}

/** Where tagSearchStep stands: the match, read more, or stop (pure, like rollbackStep). */
export function tagSearchStep(read: RevisionInfo[], to: string, family: string, prefix: number, more: boolean): { kind: 'found'; found: RevisionInfo } | { kind: 'read'; count: number } | { kind: 'none' } | { kind: 'bound' } {
  // Newest first: a match in the prefix read is the newest match of the family.
  const found = matchRevision(read, to, family);
  if (found) return { kind: 'found', found };
  if (!more) return { kind: 'none' };
  if (prefix >= REVISION_READS_MAX) return { kind: 'bound' };
  return { kind: 'read', count: Math.min(ROLLBACK_PAGE, REVISION_READS_MAX - prefix) };
}

/** Reads revisions of a lister's listing, newest first, each once (a cache by ARN). */
class RevisionReader {
  readonly read = new Map<string, RevisionInfo>();
  prefix = 0;
  constructor(
    private readonly ecs: EcsPort,
    readonly lister: RevisionLister,
    known: RevisionInfo[] = [],
  ) {
    for (const r of known) this.read.set(r.arn, r);
  }

  /** Describes the next `count` revisions of the listing; whether the listing has more after them. */
  async next(count: number): Promise<boolean> {
    const listed = await this.lister.first(this.prefix + count);
    const todo = listed.slice(this.prefix).filter((r) => !this.read.has(r.arn));
    for (const r of await describeRevisions(this.ecs, todo)) this.read.set(r.arn, r);
    this.prefix = listed.length;
    // Without another ListTaskDefinitions call: a next page, or listed revisions not read yet.
    return !this.lister.complete || (await this.lister.first(this.prefix + 1)).length > this.prefix;
  }

  async add(r: ListedRevision): Promise<void> {
    if (!this.read.has(r.arn)) this.read.set(r.arn, await describeRevision(this.ecs, r));
  }

  all(): RevisionInfo[] {
    return [...this.read.values()].sort((a, b) => b.revision - a.revision);
  }

  /** The newest `prefix` of the listing, as read (without a known revision from elsewhere). */
  async prefixRead(): Promise<RevisionInfo[]> {
    return (await this.lister.first(this.prefix)).map((r) => this.read.get(r.arn)).filter((r): r is RevisionInfo => !!r);
  }
}

/** How a bounded search for a rollback target (or a named revision) ended; `read`: every revision described. */
export type RevisionSearch = { kind: 'found'; found: RevisionInfo; read: RevisionInfo[] } | { kind: 'none'; read: RevisionInfo[] } | { kind: 'bound'; read: RevisionInfo[] };

/**
 * The previous completed revision before `liveArn` (rollbackStep): the newest ROLLBACK_PAGE
 * revisions, then page by page while none is a candidate, at most REVISION_READS_MAX, plus the
 * live revision when it is not among them. One ListTaskDefinitions call lists all that may be read.
 * `known`: revisions already read (the live one, by readLive): not described again.
 */
export async function findRollbackTarget(ecs: EcsPort, family: string, liveArn: string, known: RevisionInfo[] = []): Promise<RevisionSearch> {
  const reader = new RevisionReader(ecs, revisionLister(ecs, family, REVISION_READS_MAX), known);
  let more = await reader.next(ROLLBACK_PAGE);
  const live = revisionsOfFamily([liveArn], family)[0];
  // Its image rules out same-image candidates; a live revision ECS no longer describes rules out none.
  if (live && !reader.read.has(live.arn))
    await reader.add(live).catch((e) => {
      if (awsErrorName(e) !== 'ClientException') throw e;
    });
  for (;;) {
    const step = rollbackStep(reader.all(), liveArn, reader.prefix, more);
    if (step.kind === 'target') return { kind: 'found', found: step.target, read: reader.all() };
    if (step.kind !== 'read') return { kind: step.kind, read: reader.all() };
    more = await reader.next(step.count);
  }
}

/**
 * The revision `to` names (`--to` of rollback, `--revision` of run): a number is read directly
 * (one DescribeTaskDefinition); a content tag is looked for newest first, a page at a time, at most
 * REVISION_READS_MAX revisions. Not found: a FerryError that names `flag` with a revision number.
 * `known`: revisions already read (not described again; only those of the listing count as found).
 */
export async function findNamedRevision(ecs: EcsPort, family: string, to: string, flag: string, known: RevisionInfo[] = []): Promise<{ found: RevisionInfo; read: RevisionInfo[] }> {
  const n = revisionNumberOf(to, family);
  if (n !== undefined) {
    const found = Number.isSafeInteger(n) && n >= 1 ? await readRevision(ecs, family, n) : undefined;
    if (found) return { found, read: [found] };
    throw noMatch(family, to, await revisionLister(ecs, family, 10).first(10));
  }
  const reader = new RevisionReader(ecs, revisionLister(ecs, family, REVISION_READS_MAX), known);
  let more = await reader.next(ROLLBACK_PAGE);
  for (;;) {
    const step = tagSearchStep(await reader.prefixRead(), to, family, reader.prefix, more);
    if (step.kind === 'found') return { found: step.found, read: reader.all() };
    if (step.kind === 'none') throw noMatch(family, to, reader.all());
    if (step.kind === 'bound') {
      throw new FerryError(
        'NOT_FOUND',
        `no revision among the newest ${reader.prefix} of ${family} has the content or image tag "${to}", and ferry reads no further by tag (each revision is one DescribeTaskDefinition). If it is older, pass its revision number: ${flag} <n> (the family's revisions: aws ecs list-task-definitions --family-prefix ${family} --sort DESC).`,
      );
    }
    more = await reader.next(step.count);
  }
}

/**
 * The revisions `history` shows: historyReads of the newest listed (one ListTaskDefinitions call of
 * `limit + HISTORY_MARGIN`), described; `all`: every ACTIVE revision (listRevisions).
 */
export async function historyRevisions(ecs: EcsPort, family: string, liveArn: string | undefined, o: { limit: number; all?: boolean; known?: RevisionInfo[] }): Promise<RevisionInfo[]> {
  if (o.all) return listRevisions(ecs, family);
  const want = Math.max(1, o.limit) + HISTORY_MARGIN;
  const listed = await revisionLister(ecs, family, want).first(want);
  const reads = historyReads(listed, o.limit, liveArn && revisionsOfFamily([liveArn], family).length ? liveArn : undefined);
  const inListing = new Set(listed.map((r) => r.arn));
  const known = new Map((o.known ?? []).map((r) => [r.arn, r]));
  const fresh = await describeRevisions(ecs, reads.filter((r) => inListing.has(r.arn) && !known.has(r.arn)));
  const out = [...reads.filter((r) => inListing.has(r.arn) && known.has(r.arn)).map((r) => known.get(r.arn)!), ...fresh];
  // The live revision beyond the window: shown only while ACTIVE (as the listing would have it).
  for (const r of reads.filter((x) => !inListing.has(x.arn))) {
    const info = known.get(r.arn) ?? (await readRevision(ecs, family, r.revision));
    if (info) out.push(info);
  }
  return out;
}

/** DescribeTaskDefinition of `family:revision`; undefined when there is no such ACTIVE revision. */
export async function readRevision(ecs: EcsPort, family: string, revision: number): Promise<RevisionInfo | undefined> {
  const arn = `${family}:${revision}`;
  try {
    const { taskDefinition, tags } = await ecs.describeTaskDefinition(arn);
    if (taskDefinition.status !== 'ACTIVE' || taskDefinition.family !== family) return undefined;
    return revisionInfo(taskDefinition.taskDefinitionArn ?? arn, revision, taskDefinition, tags);
  } catch (e) {
    // An unknown revision is a ClientException ("Unable to describe task definition.").
    if (awsErrorName(e) === 'ClientException') return undefined;
    throw e;
  }
}

/** The family's ACTIVE revisions (ListTaskDefinitions), newest first, without reading them. */
async function familyRevisions(ecs: EcsPort, family: string): Promise<{ arn: string; revision: number }[]> {
  return revisionsOfFamily(await ecs.listTaskDefinitions(family), family);
}

const DESCRIBE_CONCURRENCY = 4;
/** DescribeTaskDefinition of each revision, DESCRIBE_CONCURRENCY at a time, in the given order. */
export async function describeRevisions(ecs: EcsPort, revisions: { arn: string; revision: number }[]): Promise<RevisionInfo[]> {
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
  return revisionInfo(r.arn, r.revision, taskDefinition, tags);
}

/** A revision as DescribeTaskDefinition (with TAGS) answered it: e.g. readLive's read of the live one. */
export function revisionFromDescribe(read: { taskDefinition: TaskDefinition; tags: EcsTag[] }): RevisionInfo | undefined {
  const arn = read.taskDefinition.taskDefinitionArn;
  const revision = read.taskDefinition.revision;
  if (!arn || revision === undefined || read.taskDefinition.status !== 'ACTIVE') return undefined;
  return revisionInfo(arn, revision, read.taskDefinition, read.tags);
}

function revisionInfo(arn: string, revision: number, taskDefinition: TaskDefinition, tags: EcsTag[]): RevisionInfo {
  const time = (key: string) => Number(tagValue(tags, key)) || undefined;
  return {
    arn,
    revision,
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
