/**
 * The end of a run: the summary of what the run's tasks did is shown by the reporter (a table, or
 * the `summary` of the `--json` document), appended as Markdown to `$GITHUB_STEP_SUMMARY` when it
 * is set, and posted to the `notify` webhooks of each environment the run deployed to. Nothing here
 * fails the run: a summary file or webhook that cannot be written is reported as a warning.
 */
import { appendFileSync } from 'node:fs';
import { loadWorkspaceConfig, redactorFor, type Reporter, type RunSession, type RunSummary, type WorkspaceConfig } from '@ferry/core';
import { notifyHooks, sendNotifications, type FetchLike } from './notify.ts';
import { buildSummary, renderSummaryMarkdown, runRecord } from './summary.ts';

export interface EndRunOptions {
  /** For tests: the webhook client (default: global fetch). */
  fetch?: FetchLike;
  timeoutMs?: number;
}

/** Sums the run up and tells everyone who asked; resolves with the summary (undefined: nothing to sum up). */
export async function endRun(session: RunSession, reporter: Reporter, o: EndRunOptions = {}): Promise<RunSummary | undefined> {
  let ws: WorkspaceConfig | undefined;
  try {
    ws = loadWorkspaceConfig(session.workspaceRoot);
  } catch {
    // A broken ferry.json: the tasks reported it; the summary still names the apps.
  }
  const record = session.use(runRecord);
  const summary = buildSummary(record, { run: session.id, defaultEnv: session.env.FERRY_ENV || ws?.defaultEnvironment || 'local', now: session.clock.now() });
  if (!summary.rows.length) return undefined;
  reporter.emit({ kind: 'summary', summary });

  const file = session.env.GITHUB_STEP_SUMMARY;
  if (file) {
    try {
      // CI shows this file as the job's page: masked like everything else the run prints.
      appendFileSync(file, redactorFor(session).redact(renderSummaryMarkdown(summary)));
    } catch (e) {
      reporter.emit({ kind: 'warn', message: `could not append the run summary to $GITHUB_STEP_SUMMARY (${file}): ${(e as Error).message}` });
    }
  }

  const envs = [...new Set(summary.rows.map((r) => r.environment))];
  await Promise.all(
    envs.map(async (env) => {
      const hooks = notifyHooks(ws?.environments[env]?.notify);
      if (!hooks.length) return;
      const part: RunSummary = { ...summary, rows: summary.rows.filter((r) => r.environment === env) };
      for (const r of await sendNotifications(hooks, part, env, { ...o, redactor: redactorFor(session) })) {
        if (r.ok) reporter.emit({ kind: 'info', message: `notify: sent the ${env} summary to ${r.target} (${r.detail})` });
        else reporter.emit({ kind: 'warn', message: `notify: the ${env} webhook ${r.target} failed (${r.detail}); the deploy is not affected` });
      }
    }),
  );
  return summary;
}
