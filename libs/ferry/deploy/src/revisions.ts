/**
 * Which task-definition revisions to keep and which one a rollback goes to. Pure: the caller lists
 * the family's ACTIVE revisions (with tags) and applies the answer.
 */
import { parseTaskDefinitionRef } from '@ferry/aws';
import { FerryError } from '@ferry/core';
import { imageTagOf } from './task-definition.ts';

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
  /** History tags (deploy.ts recordResult): git revision, who, when (epoch ms), how it ended. */
  gitSha?: string;
  deployedBy?: string;
  deployedAt?: number;
  result?: string;
  registeredAt?: number;
}


/** Revisions belonging exactly to `family` (ListTaskDefinitions' familyPrefix also matches `api-worker` for `api`). */
export function revisionsOfFamily(arns: string[], family: string): { arn: string; revision: number }[] {
  return arns
    .map((arn) => ({ arn, ...parseTaskDefinitionRef(arn) }))
    .filter((r) => r.family === family && r.revision !== undefined)
    .map((r) => ({ arn: r.arn, revision: r.revision as number }))
    .sort((a, b) => b.revision - a.revision);
}

/**
 * The previous completed revision: the most recently completed revision whose image differs from
 * the live one. Revisions that never completed (failed rollouts) are never a rollback target.
 */
export function previousCompleted(revisions: RevisionInfo[], liveArn: string): RevisionInfo | undefined {
  const live = revisions.find((r) => r.arn === liveArn);
  const liveImage = live?.image;
  return revisions
    .filter((r) => r.arn !== liveArn && r.status === 'completed' && (liveImage === undefined || r.image !== liveImage))
    .sort((a, b) => (b.completedAt ?? 0) - (a.completedAt ?? 0) || b.revision - a.revision)[0];
}

/**
 * The revisions to deregister after a successful deploy: all but the newest `keep`, never the live
 * one nor the previous completed one (the rollback target).
 */
export function revisionsToDeregister(revisions: RevisionInfo[], keep: number, liveArn: string): RevisionInfo[] {
  const protect = new Set([liveArn, previousCompleted(revisions, liveArn)?.arn]);
  return [...revisions]
    .sort((a, b) => b.revision - a.revision)
    .slice(Math.max(0, keep))
    .filter((r) => !protect.has(r.arn));
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

