/**
 * Deployment history, read from the AWS side so every machine sees the same: each task-definition
 * revision carries `ferry:content-tag`, `ferry:git-sha` (registration) and `ferry:deployed-by`,
 * `ferry:deployed-at`, `ferry:result` (deploy.ts recordResult). One row per revision, its latest
 * rollout: a revision deployed again (a rollback to it) shows its newest deploy. A revision promote
 * registered also names where its image ran before (`ferry:promoted-from`): the two deploys link.
 */
import type { MigrationRecord } from './migrate.ts';
import type { RevisionInfo } from './revisions.ts';
import { shortTaskDefinition } from './rollout.ts';
import { imageTagOf, type PromotedFrom } from './task-definition.ts';

/** One row of `history`. */
export interface HistoryEntry {
  revision: number;
  taskDefinition: string;
  tag?: string;
  gitSha?: string;
  deployedBy?: string;
  /** ISO time of the deploy (or of the registration when ferry never recorded a deploy). */
  at?: string;
  result: string;
  live: boolean;
  /** The migration run with this revision (migrate.ts): exit code, duration, when, who, command. */
  migration?: MigrationRecord;
  /** A promoted revision: the environment, image digest and revision it came from (`ferry:promoted-from`). */
  promotedFrom?: PromotedFrom;
}

/** Newest first; `limit` rows. Pure. */
export function historyEntries(revisions: RevisionInfo[], liveArn: string | undefined, limit = 20): HistoryEntry[] {
  const when = (r: RevisionInfo) => r.deployedAt ?? r.completedAt ?? r.migration?.at ?? r.registeredAt ?? 0;
  return [...revisions]
    .sort((a, b) => when(b) - when(a) || b.revision - a.revision)
    .slice(0, Math.max(1, limit))
    .map((r) => {
      const at = when(r);
      return {
        revision: r.revision,
        taskDefinition: shortTaskDefinition(r.arn),
        tag: r.contentTag ?? imageTagOf(r.image),
        gitSha: r.gitSha,
        deployedBy: r.deployedBy,
        at: at ? new Date(at).toISOString() : undefined,
        result: r.result ?? r.status ?? (r.migration && r.migration.exitCode !== 0 ? 'migration-failed' : 'registered'),
        live: r.arn === liveArn,
        ...(r.migration && { migration: r.migration }),
        ...(r.promotedFrom && { promotedFrom: r.promotedFrom }),
      };
    });
}

/** The rows as text columns (header first) for a table renderer. */
export function historyRows(entries: HistoryEntry[]): string[][] {
  return [
    ['revision', 'tag', 'git', 'deployed by', 'at', 'result', 'migration'],
    ...entries.map((e) => [
      `${e.taskDefinition}${e.live ? ' (live)' : ''}`,
      `${e.tag ?? '-'}${e.promotedFrom ? ` (promoted from ${e.promotedFrom.env} ${shortTaskDefinition(e.promotedFrom.taskDefinitionArn)})` : ''}`,
      e.gitSha ? e.gitSha.slice(0, 12) + (e.gitSha.endsWith('-dirty') ? '-dirty' : '') : '-',
      e.deployedBy ?? '-',
      e.at ?? '-',
      e.result,
      e.migration ? migrationText(e.migration) : '-',
    ]),
  ];
}

/** `exit 0 in 3.2 s by ana@laptop: node dist/migrate.js` (the command cut to 60 characters). Pure. */
export function migrationText(m: MigrationRecord): string {
  const command = m.command && m.command.length > 60 ? `${m.command.slice(0, 59)}…` : m.command;
  return `${m.exitCode === undefined ? 'did not finish' : `exit ${m.exitCode}`} in ${(m.durationMs / 1000).toFixed(1)} s by ${m.by}${command ? `: ${command}` : ''}`;
}
