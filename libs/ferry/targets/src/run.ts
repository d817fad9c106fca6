// run: a one-off task with the app's image (a migration, a seed, a maintenance script) as a
// standalone ECS task; streams its output, exits with its container's exit code.
// Logic: libs/ferry/deploy/src/{run-task,one-off}.ts.
import { FerryError, parseCommandOption, resolveApp } from '@ferry/core';
import { appPorts, deployer, describeOneOff, oneOffExitCode, outcomeText, planOneOff, runOneOff, formatOneOffPlan, withResolvedAppUrls } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

interface RunArgs {
  command?: string;
  tag?: string;
  revision?: string;
  timeout?: string;
  'set-env'?: string[];
  'dry-run': boolean;
}

/** Default --timeout of `run`: one hour. */
export const RUN_DEFAULT_TIMEOUT_S = 3600;

export const runTarget: TargetSpec<RunArgs> = {
  target: 'run',
  summary: "Run a one-off task with the app's image (the content tag of the checked-out code, --tag or --revision): its output streamed, its exit code passed on.",
  options: {
    command: { type: 'string' },
    tag: { type: 'string' },
    revision: { type: 'string' },
    timeout: { type: 'string' },
    'set-env': { type: 'string', multiple: true },
    'dry-run': { type: 'boolean', default: false },
  },
  describe: {
    command: `the command: a command line split like a shell would (no shell runs: use sh -c '…' for pipes and &&), or a JSON array. Example: --command 'node dist/migrate.js'`,
    tag: 'run this image tag instead of the content tag of the checked-out code',
    revision: 'run an existing task-definition revision as it is (a number or a content tag)',
    timeout: `seconds before ferry stops the task (default ${RUN_DEFAULT_TIMEOUT_S}); ferry then exits 124`,
    'set-env': 'NAME=value added to the container environment (repeatable)',
    'dry-run': 'print the RunTask request; start nothing',
  },
  // StopTask, then waiting for STOPPED (SIGTERM, the stop timeout, SIGKILL) outlives the default grace.
  interruptGraceMs: 90_000,
  async main({ args, reporter, workspaceRoot, signal, session }) {
    if (!args.command) throw new FerryError('USAGE', `--command is required. Example: nx run ${args.project ?? 'api'}:run -c <env> --command 'node dist/migrate.js'`);
    const command = parseCommandOption(args.command);
    const environment = parseSetEnv(args['set-env'] ?? []);
    const timeoutS = args.timeout === undefined ? RUN_DEFAULT_TIMEOUT_S : Number(args.timeout);
    if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new FerryError('USAGE', `--timeout must be a positive number of seconds (got ${JSON.stringify(args.timeout)}). Example: --timeout 600`);
    if (args.tag && args.revision) throw new FerryError('USAGE', '--tag and --revision name the image twice: pass one of them.');
    const resolved0 = await resolveApp(workspaceRoot, args.project!, args.env, session);
    // Registered from config (no --revision): other apps' URLs resolved as deploy-app resolves them,
    // so the one-off task runs the revision the service runs when nothing else changed.
    const resolved = args.revision ? resolved0 : { ...resolved0, app: await withResolvedAppUrls(session, workspaceRoot, resolved0) };
    const project = resolved.app.project;
    const ports = appPorts(session, resolved);
    const plan = await planOneOff(session, ports, resolved, { command, environment, tag: args.tag, revision: args.revision, startedBy: 'ferry-run' });
    if (args['dry-run']) {
      for (const message of formatOneOffPlan(plan)) reporter.emit({ kind: 'info', app: project, message });
      reporter.emit({ kind: 'result', app: project, target: 'run', ok: true, summary: 'dry run: nothing started' });
      return 0;
    }
    const spec = await plan.prepare(reporter);
    const r = await runOneOff(ports, spec, { reporter, signal, timeoutMs: timeoutS * 1000, clock: session.clock, stopWaitMs: 80_000 });
    const code = oneOffExitCode(r);
    const data = { taskArn: r.taskArn, outcome: r.outcome, exitCode: r.exitCode, stopCode: r.stopCode, stoppedReason: r.stoppedReason, durationMs: r.durationMs, command, tag: plan.tag, by: deployer() };
    if (code === 0) {
      reporter.emit({ kind: 'step', app: project, step: 'run-task', status: 'done', message: `task ${r.taskId} ${outcomeText(r)}` });
      reporter.emit({ kind: 'result', app: project, target: 'run', ok: true, summary: `task ${r.taskId} exited with code 0`, data });
      return 0;
    }
    reporter.emit({ kind: 'result', app: project, target: 'run', ok: false, summary: `task ${r.taskId} ${outcomeText(r)}`, data });
    // An interrupted run ends with the runner's own "interrupted" line: the task's report goes out first.
    if (r.outcome === 'interrupted') for (const message of describeOneOff(r)) reporter.emit({ kind: 'warn', app: project, message });
    throw new FerryError(r.outcome === 'interrupted' ? 'INTERRUPTED' : 'TASK_FAILED', `${project}: the task ${outcomeText(r)}; ferry exits ${code}.`, { exitCode: code, details: describeOneOff(r) });
  },
};

/** `--set-env NAME=value` (repeatable) as a map; a name is letters, digits and _ not starting with a digit. */
export function parseSetEnv(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (!m) throw new FerryError('USAGE', `--set-env takes NAME=value (got ${JSON.stringify(v)}). Example: --set-env DRY_RUN=1`);
    out[m[1]] = m[2];
  }
  return out;
}
