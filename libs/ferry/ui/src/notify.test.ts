// notify against a loopback HTTP receiver; the run's end (summary event, $GITHUB_STEP_SUMMARY in a
// temp file, webhooks of ferry.json); the SDK's Node warning replaced; one line per step outcome.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryReporter, RunSession, SecretSet, type FerryEvent, type RunSummary } from '@ferry/core';
import { OutcomeFolder } from './format.ts';
import { isSdkNodeWarning, replaceSdkNodeWarning } from './node-warning.ts';
import { redactUrl, sendNotifications, slackPayload } from './notify.ts';
import { endRun } from './run-end.ts';
import { endTask, noteEvent, runRecord } from './summary.ts';

interface Received {
  path: string;
  type: string | undefined;
  body: unknown;
}

/** A loopback receiver: answers `status` (by path) and keeps what it got. */
async function receiver(statusFor: (path: string) => number = () => 200): Promise<{ base: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ path: req.url ?? '', type: req.headers['content-type'], body: JSON.parse(body) });
      res.statusCode = statusFor(req.url ?? '');
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { base: `http://127.0.0.1:${port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

const summary: RunSummary = {
  run: 'abcd',
  startedAt: '2027-01-01T00:00:00.000Z',
  durationMs: 5000,
  ok: true,
  rows: [{ app: 'api', environment: 'staging', result: 'deployed', tag: 'ft-1', revision: 'api:2', durationMs: 5000, url: 'http://127.0.0.1:1', phases: [] }],
};

const redactions: [string, string][] = [
  ['https://hooks.slack.com/services/T000/B000/XXXX', 'https://hooks.slack.com/…'],
  ['https://user:pw@example.com:8443/hook?token=abc', 'https://example.com:8443/…'],
  ['http://127.0.0.1:9000', 'http://127.0.0.1:9000'],
  ['not a url', '(an invalid URL)'],
];
for (const [url, shown] of redactions) test(`redactUrl ${shown}`, () => assert.is(redactUrl(url), shown));

test('notify: JSON and Slack formats reach a loopback receiver; a failing hook is reported, not thrown', async () => {
  const rx = await receiver((p) => (p.startsWith('/broken') ? 500 : 200));
  try {
    const out = await sendNotifications(
      [
        { url: `${rx.base}/json/secret-token`, format: 'json' },
        { url: `${rx.base}/slack/T0/B0/secret`, format: 'slack' },
        { url: `${rx.base}/broken/secret`, format: 'json' },
        { url: 'http://127.0.0.1:1/closed/secret', format: 'json' },
      ],
      summary,
      'staging',
    );
    assert.equal(out.slice(0, 3), [
      { target: `${rx.base}/…`, ok: true, detail: 'HTTP 200' },
      { target: `${rx.base}/…`, ok: true, detail: 'HTTP 200' },
      { target: `${rx.base}/…`, ok: false, detail: 'HTTP 500' },
    ]);
    assert.is(out[3].ok, false);
    assert.is(out[3].target, 'http://127.0.0.1:1/…');
    assert.not.match(JSON.stringify(out), /secret/);
    const byPath = Object.fromEntries(rx.got.map((g) => [g.path.split('/')[1], g]));
    assert.is(byPath.json.type, 'application/json');
    assert.equal(byPath.json.body, { kind: 'ferry.run-summary', version: 1, environment: 'staging', ...summary });
    assert.equal(byPath.slack.body, slackPayload(summary, 'staging'));
    assert.match((byPath.slack.body as { text: string }).text, /^ferry staging: 1 app: 1 deployed in 5\.0s$/);
  } finally {
    await rx.close();
  }
});

test("notify: the payload is masked with the run's secrets, in both formats", async () => {
  const rx = await receiver();
  try {
    const secrets = new SecretSet();
    secrets.add('s3cr3t-value-from-the-run');
    const leaky: RunSummary = { ...summary, rows: [{ ...summary.rows[0], url: 'http://127.0.0.1:1/?key=s3cr3t-value-from-the-run', failed: ['smoke-test'] }] };
    const out = await sendNotifications([{ url: `${rx.base}/json`, format: 'json' }, { url: `${rx.base}/slack`, format: 'slack' }], leaky, 'staging', { redactor: secrets });
    assert.equal(out.map((o) => o.ok), [true, true]);
    assert.is(rx.got.length, 2);
    for (const g of rx.got) {
      const text = JSON.stringify(g.body);
      assert.not.match(text, /s3cr3t-value-from-the-run/, g.path);
      assert.match(text, /key=\*\*\*/, g.path);
    }
  } finally {
    await rx.close();
  }
});

test('end of run: summary event, Markdown appended to $GITHUB_STEP_SUMMARY, notify per environment with a warning on failure', async () => {
  const rx = await receiver((p) => (p === '/down' ? 503 : 200));
  const ws = mkdtempSync(join(tmpdir(), 'ferry-run-end-'));
  try {
    const stepSummary = join(ws, 'step-summary.md');
    writeFileSync(stepSummary, 'earlier step\n');
    writeFileSync(
      join(ws, 'ferry.json'),
      JSON.stringify({
        defaultEnvironment: 'local',
        environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: 'c', notify: [`${rx.base}/hook/abc`, { url: `${rx.base}/down`, format: 'slack' }] } },
      }),
    );
    const session = new RunSession({ workspaceRoot: ws, env: { GITHUB_STEP_SUMMARY: stepSummary } });
    const rec = session.use(runRecord);
    for (const app of ['api', 'web']) {
      const t = rec.begin({ app, target: 'deploy-app' }, session.clock.now());
      noteEvent(t, { kind: 'result', app, target: 'deploy-app', ok: true, summary: '', data: { action: 'up-to-date', tag: `ft-${app}` } });
      endTask(t, 0, session.clock.now());
    }
    const reporter = new MemoryReporter();
    const s = await endRun(session, reporter);
    assert.equal(s?.rows.map((r) => [r.app, r.environment, r.result, r.tag]), [
      ['api', 'local', 'up to date', 'ft-api'],
      ['web', 'local', 'up to date', 'ft-web'],
    ]);
    assert.is(reporter.events[0].kind, 'summary');
    const md = readFileSync(stepSummary, 'utf8');
    assert.ok(md.startsWith('earlier step\n### ferry: 2 apps: 2 up to date'), md);
    assert.match(md, /\| api \| local \| ✅ up to date \| `ft-api` \|/);
    assert.match(md, /\| web \| local \|/);
    assert.is(rx.got.length, 2);
    const lines = reporter.events.filter((e): e is Extract<FerryEvent, { kind: 'info' | 'warn' }> => e.kind === 'info' || e.kind === 'warn').map((e) => `${e.kind} ${e.message}`);
    assert.equal(lines.sort(), [`info notify: sent the local summary to ${rx.base}/… (HTTP 200)`, `warn notify: the local webhook ${rx.base}/… failed (HTTP 503); the deploy is not affected`]);
  } finally {
    await rx.close();
    rmSync(ws, { recursive: true, force: true });
  }
});

test('end of run: nothing to sum up (no deploy-chain task) -> no summary, no file written', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'ferry-run-end-'));
  try {
    const session = new RunSession({ workspaceRoot: ws, env: { GITHUB_STEP_SUMMARY: join(ws, 'none.md') } });
    endTask(session.use(runRecord).begin({ app: 'api', target: 'diff' }, 0), 0, 1);
    const reporter = new MemoryReporter();
    assert.is(await endRun(session, reporter), undefined);
    assert.equal(reporter.events, []);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

// The warning text as @aws-sdk/core's emitWarningIfUnsupportedVersion.js emits it (node_modules/@aws-sdk/core/dist-es/submodules/client/).
const SDK_WARNING = 'NodeVersionSupportWarning: The AWS SDK for JavaScript (v3)\nversions published after the first week of January 2027\nwill require node >=22.';

test('node warning: the SDK warning is swallowed, ferry says its sentence once, other warnings pass', () => {
  const passed: unknown[] = [];
  const proc = { emitWarning: ((w: string) => void passed.push(w)) as NodeJS.Process['emitWarning'] };
  const said: string[] = [];
  const restore = replaceSdkNodeWarning(proc, (l) => said.push(l), {});
  proc.emitWarning(SDK_WARNING);
  proc.emitWarning(SDK_WARNING);
  proc.emitWarning('something else');
  assert.is(said.length, 1);
  assert.match(said[0], /ferry supports and tests Node 20 and 22; Node 20 is end-of-life/);
  assert.equal(passed, ['something else']);
  restore();
  proc.emitWarning(SDK_WARNING);
  assert.equal(passed, ['something else', SDK_WARNING], 'restored after the run');
  const quiet: string[] = [];
  const r2 = replaceSdkNodeWarning(proc, (l) => quiet.push(l), { NODE_NO_WARNINGS: '1' });
  proc.emitWarning(SDK_WARNING);
  r2();
  assert.equal(quiet, [], 'NODE_NO_WARNINGS=1 silences ferry too');
  assert.ok(isSdkNodeWarning(new Error('x'), 'NodeVersionSupportWarning'));
  assert.not.ok(isSdkNodeWarning('DeprecationWarning: x'));
});

type Step = Extract<FerryEvent, { kind: 'step' }>;
const step = (s: string, status: Step['status'], message: string): FerryEvent => ({ kind: 'step', app: 'api', step: s as Step['step'], status, message });
const result = (target: string, summary: string, ok = true): FerryEvent => ({ kind: 'result', app: 'api', target, ok, summary });
const show = (e: FerryEvent) => (e.kind === 'step' ? `${e.step}:${e.status}` : e.kind === 'result' ? `${e.target}:${e.ok ? 'ok' : 'FAILED'}` : e.kind);

const folds: [string, FerryEvent[], string[]][] = [
  ['the step is the target: its own line only', [step('build-image', 'skip', 'x is already in the registry'), result('build-image', 'x is already in the registry')], ['build-image:skip']],
  ['push skipped: the digest result is not repeated', [step('push', 'skip', 'x is already in ECR'), result('push', 'x@sha256:1')], ['push:skip']],
  ['the same words under the target name: the result only', [step('update-service', 'skip', 'up to date: api:1 runs ft-1'), result('deploy-app', 'up to date: api:1 runs ft-1')], ['deploy-app:ok']],
  ['different words: both', [step('rollout', 'done', 'deployment d COMPLETED'), result('deploy-app', 'api:2 runs ft-1')], ['rollout:done', 'deploy-app:ok']],
  ['a failed result is never folded', [step('build-image', 'done', 'built x'), result('build-image', 'built x', false)], ['build-image:done', 'build-image:FAILED']],
  ['a step held at the end is flushed', [step('tag', 'done', 'content tag ft-1')], ['tag:done']],
];
for (const [name, events, shown] of folds) {
  test(`one line per outcome: ${name}`, () => {
    const f = new OutcomeFolder();
    assert.equal([...events.flatMap((e) => f.push(e)), ...f.flush()].map(show), shown);
  });
}

test.run();
