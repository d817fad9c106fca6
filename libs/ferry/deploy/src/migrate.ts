/**
 * The migration of a deploy: `migrate` in deploy.json runs as a one-off task (one-off.ts) of the
 * revision deploy-app just registered — the new image with the config it will run with — after the
 * registration and before the service is created or updated, only when the content tag changes
 * (never on a no-op, never for a config-only change). A failure stops the deploy there: the service
 * keeps running what it ran. Each run is recorded on the revision (`ferry:migration`,
 * `ferry:migration-command`) for `history`, and `rollback` reads them back: returning to a revision
 * older than the last successful migration asks for --force.
 */
import { FerryError, formatCommandLine, type AppDeployConfig, type Clock, type EnvironmentConfig, type MigrateSettings, type Reporter, systemClock } from '@ferry/core';
import type { EcsPort, EcsService, EcsTag, LogsPort } from '@ferry/aws';
import { describeOneOff, launchOfService, outcomeText, runOneOff, type LaunchSettings, type OneOffResult } from './one-off.ts';
import type { RevisionInfo } from './revisions.ts';
import { shortTaskDefinition } from './rollout.ts';
import { TAG_MIGRATION, TAG_MIGRATION_COMMAND } from './task-definition.ts';

/** What a plan carries when the deploy runs a migration. */
export interface MigrationStep {
  command: string[];
  timeoutSeconds: number;
  environment: Record<string, string>;
  launch: LaunchSettings;
  /** The content tag live before (absent for a new service). */
  fromTag?: string;
}

/** A migration run as recorded on its revision. */
export interface MigrationRecord {
  /** The container's exit code; undefined when it never ran to its end (failed to start, stopped). */
  exitCode?: number;
  durationMs: number;
  /** Epoch ms when it ended. */
  at: number;
  by: string;
  command?: string;
}

/**
 * Whether a deploy from `liveTag` to `tag` runs the migration, and with what. Pure. A new service
 * (no live tag) migrates; the same tag (a config change, a forced redeploy) does not.
 */
export function migrationStep(
  migrate: MigrateSettings | undefined,
  tag: string,
  live: { tag?: string; service?: Pick<EcsService, 'launchType' | 'capacityProviderStrategy' | 'platformVersion' | 'networkConfiguration'> } | undefined,
  createLaunch: LaunchSettings,
): MigrationStep | undefined {
  if (!migrate) return undefined;
  if (live && live.tag === tag) return undefined;
  return {
    command: [...migrate.command],
    timeoutSeconds: migrate.timeoutSeconds,
    environment: { ...migrate.environment },
    launch: live?.service ? launchOfService(live.service) : createLaunch,
    ...(live?.tag && { fromTag: live.tag }),
  };
}

/** The record's tags on the revision: `exit=<code> ms=<duration> at=<epoch ms> by=<who>` and the command (base64url: tag values allow few characters). Pure. */
export function migrationTags(r: MigrationRecord): EcsTag[] {
  // ECS tag values: letters, digits, spaces and + - = . _ : / @ (ecs-using-tags.html#tag-restrictions).
  const by = r.by.replace(/[^\p{L}\p{N}_.:/=+@-]/gu, '_').slice(0, 128);
  const tags: EcsTag[] = [{ key: TAG_MIGRATION, value: `exit=${r.exitCode ?? 'none'} ms=${Math.round(r.durationMs)} at=${r.at} by=${by}` }];
  if (r.command !== undefined) {
    let text = r.command;
    // 252 characters of base64 hold 189 bytes.
    while (Buffer.byteLength(text) > 186) text = text.slice(0, -1);
    tags.push({ key: TAG_MIGRATION_COMMAND, value: `b64:${Buffer.from(text === r.command ? text : `${text}…`).toString('base64url')}` });
  }
  return tags;
}

/** The record read back from a revision's tags; undefined when it ran no migration. Pure. */
export function parseMigrationTags(tags: EcsTag[] | undefined): MigrationRecord | undefined {
  const value = tags?.find((t) => t.key === TAG_MIGRATION)?.value;
  if (!value) return undefined;
  const field = (k: string) => new RegExp(`(?:^| )${k}=(\\S*)`).exec(value)?.[1];
  const exit = field('exit');
  const raw = tags?.find((t) => t.key === TAG_MIGRATION_COMMAND)?.value;
  const command = raw?.startsWith('b64:') ? Buffer.from(raw.slice(4), 'base64url').toString('utf8') : raw;
  return {
    ...(/^\d+$/.test(exit ?? '') && { exitCode: Number(exit) }),
    durationMs: Number(field('ms')) || 0,
    at: Number(field('at')) || 0,
    by: field('by') || 'unknown',
    ...(command !== undefined && { command }),
  };
}

/** The revision whose migration last succeeded (exit 0), newest run first. Pure. */
export function lastSuccessfulMigration(revisions: RevisionInfo[]): RevisionInfo | undefined {
  return revisions.filter((r) => r.migration?.exitCode === 0).sort((a, b) => (b.migration!.at ?? 0) - (a.migration!.at ?? 0) || b.revision - a.revision)[0];
}

/**
 * Refuses (without --force) a rollback to a revision older than the one whose migration last
 * succeeded: the schema it migrated to may not work with the older code. Pure.
 */
export function checkRollbackPastMigration(target: RevisionInfo, revisions: RevisionInfo[], force: boolean, app: string): string | undefined {
  const migrated = lastSuccessfulMigration(revisions);
  if (!migrated || target.revision >= migrated.revision) return undefined;
  const m = migrated.migration!;
  const what = `${app}: ${shortTaskDefinition(target.arn)} is older than ${shortTaskDefinition(migrated.arn)}, whose migration${m.command ? ` (${m.command})` : ''} succeeded on ${new Date(m.at).toISOString()}`;
  if (force) return `${what}; rolling back anyway (--force): the old code now runs against the migrated schema.`;
  throw new FerryError(
    'USAGE',
    `${what}. The old code may not work with what that migration changed, and returning to it does not undo the migration. If the old revision is known to cope (or you have reverted the migration yourself), run the rollback again with --force.`,
  );
}

export interface MigrationSettings {
  reporter: Reporter;
  signal?: AbortSignal;
  clock?: Clock;
  deployedBy?: string;
  pollMs?: number;
}

/**
 * Runs the migration with the registered revision `arn`, records it on the revision, and throws
 * MIGRATION_FAILED (the output in its details) when it did not exit 0. Nothing about the service changes here.
 */
export async function runMigration(
  ports: { ecs: EcsPort; logs?: LogsPort },
  where: { app: AppDeployConfig; env: Pick<EnvironmentConfig, 'cluster'>; arn: string; tag: string; liveArn?: string },
  m: MigrationStep,
  s: MigrationSettings,
): Promise<OneOffResult> {
  const clock = s.clock ?? systemClock;
  const project = where.app.project;
  const commandLine = formatCommandLine(m.command);
  s.reporter.emit({ kind: 'step', app: project, step: 'migrate', status: 'start', message: `migrating ${m.fromTag ? `from ${m.fromTag} ` : ''}to ${where.tag}: ${commandLine}` });
  const r = await runOneOff(
    ports,
    {
      app: project,
      cluster: where.env.cluster,
      taskDefinitionArn: where.arn,
      containerName: where.app.containerName,
      command: m.command,
      environment: m.environment,
      launch: m.launch,
      startedBy: 'ferry-migrate',
    },
    { reporter: s.reporter, signal: s.signal, timeoutMs: m.timeoutSeconds * 1000, clock, step: 'migrate', pollMs: s.pollMs, onLine: (line) => s.reporter.emit({ kind: 'info', app: project, message: `migrate | ${line}` }) },
  );
  const record: MigrationRecord = { ...(r.outcome === 'exited' && r.exitCode !== undefined && { exitCode: r.exitCode }), durationMs: r.durationMs, at: clock.now(), by: s.deployedBy ?? 'unknown', command: commandLine };
  await ports.ecs.tagResource(where.arn, migrationTags(record)).catch((e: unknown) =>
    s.reporter.emit({ kind: 'warn', app: project, message: `could not record the migration on ${shortTaskDefinition(where.arn)} (${(e as Error).message}); history will not show it` }),
  );
  if (r.outcome === 'exited' && r.exitCode === 0) {
    s.reporter.emit({ kind: 'step', app: project, step: 'migrate', status: 'done', message: `migration task ${r.taskId} ${outcomeText(r)}` });
    return r;
  }
  s.reporter.emit({ kind: 'step', app: project, step: 'migrate', status: 'fail', message: `migration task ${r.taskId} ${outcomeText(r)}` });
  const still = where.liveArn ? `${where.app.service} still runs ${shortTaskDefinition(where.liveArn)}` : `${where.app.service} was not created`;
  throw new FerryError(
    r.outcome === 'interrupted' ? 'INTERRUPTED' : 'MIGRATION_FAILED',
    `${project}: the migration (${commandLine}) ${outcomeText(r)}; the deploy stopped before any service change: ${still}. Fix the migration (its output is below) and deploy again; run it by hand with nx run ${project}:run --revision ${shortTaskDefinition(where.arn).split(':').pop()} --command '…'.`,
    { details: describeOneOff(r) },
  );
}
