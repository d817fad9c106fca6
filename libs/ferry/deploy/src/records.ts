/**
 * What a rollout leaves on the AWS side for the next run and for people: the revision's result
 * (`ferry:result`, by whom, when: history.ts reads it back), its completed mark (`ferry:status`:
 * the rollback command's candidates), and the service's spec tag (spec.ts: the next no-op reads no
 * task definition) with the rollout's duration (the next watcher's poll window). All best effort
 * except `markCompleted`: a record that could not be written must not turn a good deploy into a
 * failed one.
 */
import type { Reporter } from '@ferry/core';
import type { EcsPort, EcsTag } from '@ferry/aws';
import { TAG_URL } from './plan.ts';
import { shortTaskDefinition, TAG_ROLLOUT_MS } from './rollout.ts';
import { formatSpecTag, TAG_SPEC } from './spec.ts';
import { TAG_COMPLETED_AT, TAG_DEPLOYED_AT, TAG_DEPLOYED_BY, TAG_RESULT, TAG_RETURNED_AT, TAG_STATUS } from './task-definition.ts';

/** How a rollout of a revision ended, as history shows it. */
export type RolloutRecord = 'completed' | 'failed' | 'timeout' | 'interrupted' | 'unhealthy' | 'smoke-failed';

/** Marks the revision as one whose rollout COMPLETED (a rollback candidate). Throws on failure. */
export async function markCompleted(ecs: EcsPort, arn: string, now = Date.now()): Promise<void> {
  await ecs.tagResource(arn, [
    { key: TAG_STATUS, value: 'completed' },
    { key: TAG_COMPLETED_AT, value: String(now) },
  ]);
}

/** Marks the revision as failed (best effort). */
export async function markFailed(ecs: EcsPort, arn: string): Promise<void> {
  await tagQuietly(ecs, arn, [{ key: TAG_STATUS, value: 'failed' }]);
}

/**
 * The deployment history on the AWS side: who rolled this revision out, when, and how it ended.
 * A revision made live again by a rollback keeps when it was first deployed (`ferry:deployed-at`)
 * and records when it came back (`ferry:returned-at`).
 */
export async function recordResult(ecs: EcsPort, arn: string, result: RolloutRecord, o: { deployedBy?: string; now?: number; returning?: boolean }): Promise<void> {
  const now = String(o.now ?? Date.now());
  await tagQuietly(ecs, arn, [
    { key: TAG_RESULT, value: result },
    { key: TAG_DEPLOYED_BY, value: o.deployedBy ?? 'unknown' },
    o.returning ? { key: TAG_RETURNED_AT, value: now } : { key: TAG_DEPLOYED_AT, value: now },
  ]);
}

/**
 * Tags the service with the spec of the revision that just COMPLETED (spec.ts) and how long the
 * rollout took. Only other keys than the lock's (TagResource merges by key), after the lock
 * re-check (`beforeWrite`); best effort: without the tag the next plan just reads in full.
 */
export async function recordSpec(
  ecs: EcsPort,
  r: {
    app: string;
    service: string;
    serviceArn?: string;
    arn: string;
    contentTag: string;
    spec?: { fingerprint: string; gitSha?: string };
    rolloutMs?: number;
    /** The URL of a target group the rollout attached the service to (its `ferry:url` tag, plan.ts TAG_URL). */
    url?: string;
  },
  o: { reporter: Reporter; beforeWrite?: () => Promise<void> },
): Promise<void> {
  if (!r.spec || !r.serviceArn || !r.arn) return;
  const value = formatSpecTag({ taskDefinitionArn: r.arn, fingerprint: r.spec.fingerprint, contentTag: r.contentTag, gitSha: r.spec.gitSha });
  if (!value) return;
  try {
    await o.beforeWrite?.();
    await ecs.tagResource(r.serviceArn, [
      { key: TAG_SPEC, value },
      ...(r.rolloutMs !== undefined ? [{ key: TAG_ROLLOUT_MS, value: String(r.rolloutMs) }] : []),
      ...(r.url ? [{ key: TAG_URL, value: r.url }] : []),
    ]);
  } catch (e) {
    o.reporter.emit({ kind: 'warn', app: r.app, message: `could not record the spec tag on ${r.service} (${(e as Error).message}); the next deploy reads the task definition` });
  }
}

/** Everything a COMPLETED rollout records, in one round trip (other keys, other resources). */
export async function recordCompleted(
  ecs: EcsPort,
  r: Parameters<typeof recordSpec>[1],
  o: Parameters<typeof recordSpec>[2] & { deployedBy?: string; returning?: boolean },
): Promise<void> {
  await Promise.all([
    markCompleted(ecs, r.arn).catch((e: unknown) =>
      o.reporter.emit({ kind: 'warn', app: r.app, message: `${(e as Error).message}. The rollout COMPLETED; \`rollback\` will not offer ${shortTaskDefinition(r.arn)} as a completed revision until it is tagged.` }),
    ),
    recordResult(ecs, r.arn, 'completed', o),
    recordSpec(ecs, r, o),
  ]);
}

export async function tagQuietly(ecs: EcsPort, arn: string, tags: EcsTag[]): Promise<void> {
  await ecs.tagResource(arn, tags).catch(() => undefined);
}
