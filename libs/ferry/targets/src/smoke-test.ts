// smoke-test: deploy.json's smoke checks (and optional script) against the service URL; a table on
// a terminal, --json for machines, --junit <file> for CI. Logic: libs/ferry/deploy/src/smoke.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { FerryError, resolveApp, runSecrets } from '@ferry/core';
import { LIVE_MAX_AGE_MS } from '@ferry/aws';
import { appPorts, CHAIN_HELP, CHAIN_OPTIONS, deployer, rolloutPolls, junitXml, lockWaitMs, requireServiceUrl, revertFailedCheck, rolloutToVerify, runSmoke, serviceUrl, smokeTable, timeoutMs, type ChainArgs } from '@ferry/deploy';
import type { TargetSpec } from '@ferry/ui';

export const smokeTestTarget: TargetSpec<ChainArgs> = {
  target: 'smoke-test',
  summary: "Run deploy.json's smoke checks against the service URL.",
  options: CHAIN_OPTIONS,
  describe: CHAIN_HELP,
  async main({ args, reporter, workspaceRoot, signal, session }) {
    const resolved = await resolveApp(workspaceRoot, args.project!, args.env, session);
    const { app, env } = resolved;
    if (app.smoke.checks.length === 0 && !app.smoke.script) {
      reporter.emit({ kind: 'result', app: app.project, target: 'smoke-test', ok: true, summary: 'no smoke checks configured' });
      return 0;
    }
    if (args['dry-run']) {
      for (const c of app.smoke.checks) reporter.emit({ kind: 'info', app: app.project, message: `would ${c.method ?? 'GET'} ${c.path} and expect ${c.expectStatus ?? 200}` });
      if (app.smoke.script) reporter.emit({ kind: 'info', app: app.project, message: `would run ${app.smoke.script} with SERVICE_URL` });
      reporter.emit({ kind: 'result', app: app.project, target: 'smoke-test', ok: true, summary: 'dry run: nothing requested' });
      return 0;
    }
    const ports = appPorts(session, resolved);
    const { ecs } = ports;
    const service = (await ecs.describeServices(env.cluster, [app.service], { maxAgeMs: LIVE_MAX_AGE_MS })).services.find((s) => s.status === 'ACTIVE');
    const url = requireServiceUrl(serviceUrl(service, env, app), env, app);
    const run = await runSmoke(resolved, url, { reporter, signal });
    if (args.junit) {
      const file = resolve(workspaceRoot, args.junit);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, await junitXml(`${app.project}.smoke`, run.results, session.use(runSecrets)));
    }
    if (!args.json && process.stdout.isTTY) process.stdout.write(`${session.use(runSecrets).redact(smokeTable(run.results))}\n`);
    const summary = `${run.passed}/${run.results.length} passed against ${url}`;
    if (run.failed > 0) {
      const failedLines = run.results.filter((r) => !r.ok).map((r) => `${r.name}: ${r.failures.join('; ')}`);
      reporter.emit({ kind: 'result', app: app.project, target: 'smoke-test', ok: false, summary, data: { ...run } });
      // Right after a rollout of this run, failed smoke checks are a failed deploy (verify.ts).
      const rolled = rolloutToVerify(session, resolved);
      const note = rolled
        ? await revertFailedCheck(session, ports, resolved, rolled, 'smoke', { rollback: true, timeoutMs: timeoutMs(args, app), reporter, signal, deployedBy: deployer(), polls: session.use(rolloutPolls), clock: session.clock }, { waitMs: lockWaitMs(args), force: args['force-unlock'] })
        : `Next: fix and deploy again, or \`nx run ${app.project}:rollback\`.`;
      throw new FerryError('SMOKE_FAILED', `${app.project}: ${run.failed} smoke check(s) failed against ${url}. ${note}`, { details: failedLines });
    }
    reporter.emit({ kind: 'result', app: app.project, target: 'smoke-test', ok: true, summary, data: { ...run } });
    return 0;
  },
};
