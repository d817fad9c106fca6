import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { patternRedactor, redactorFor, runSecrets, RunSession, type FerryEvent } from '@ferry/core';
import { colorEnabled, createReporter, type JsonReport } from './reporter.ts';

function sink() {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d) => (text += d));
  return { stream, text: () => text };
}

const rollout = (running: number, newEvents: string[] = []): FerryEvent => ({
  kind: 'rollout',
  app: 'api',
  deployments: [
    { id: 'ecs-svc/2', status: 'PRIMARY', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:7', desired: 2, running, pending: 2 - running, failed: 0, rolloutState: 'IN_PROGRESS' },
    { id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:6', desired: 0, running: 2 - running, pending: 0, failed: 0 },
  ],
  newEvents,
});

const events: FerryEvent[] = [
  { kind: 'step', app: 'api', step: 'tag', status: 'done', message: 'ft-0123456789abcdef0123' },
  { kind: 'step', app: 'api', step: 'build-image', status: 'skip', message: '127.0.0.1:5000/api:ft-0123456789abcdef0123 already exists' },
  { kind: 'step', app: 'api', step: 'push', status: 'start', message: 'pushing' },
  { kind: 'progress', app: 'api', step: 'push', message: 'layer 1/3' },
  { kind: 'step', app: 'api', step: 'push', status: 'fail', message: 'denied: docker login -p s3cr3tvalue failed' },
  rollout(0, ['(service api) has started 2 tasks']),
  rollout(0),
  rollout(2, ['(service api) has reached a steady state.']),
  { kind: 'warn', app: 'api', message: 'pushing a dirty tag' },
  { kind: 'info', message: 'AKIAIOSFODNN7EXAMPLE in use' },
  { kind: 'result', app: 'api', target: 'deploy', ok: false, summary: 'push failed' },
];

test('plain mode: one line per event, prefixed with the app, secrets masked, unchanged rollout state not repeated', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out: out.stream });
  for (const e of events) r.emit(e);
  r.finish();
  assert.is(
    out.text(),
    [
      // The tag's own line is --verbose only: build-image's line names the tag.
      '[api] build-image: skipped — 127.0.0.1:5000/api:ft-0123456789abcdef0123 already exists',
      '[api] push: pushing',
      '[api] push: failed — denied: docker login -p *** failed',
      '[api] rollout: PRIMARY api:7 running 0/2, pending 2 IN_PROGRESS',
      '[api] rollout: ACTIVE api:6 running 2/0, pending 0',
      '[api] rollout: event (service api) has started 2 tasks',
      '[api] rollout: PRIMARY api:7 running 2/2, pending 0 IN_PROGRESS',
      '[api] rollout: ACTIVE api:6 running 0/0, pending 0',
      '[api] rollout: event (service api) has reached a steady state.',
      '[api] warning: pushing a dirty tag',
      '*** in use',
      '[api] deploy: FAILED — push failed',
      '',
    ].join('\n'),
  );
});

test('plain mode with --verbose shows progress lines', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, verbose: true, out: out.stream });
  r.emit({ kind: 'progress', app: 'api', step: 'push', message: 'layer 1/3' });
  assert.is(out.text(), '[api] push: layer 1/3\n');
});

test('json mode: nothing during the run, one document at finish with results, events and the error', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: true, out: out.stream });
  for (const e of events) r.emit(e);
  assert.is(out.text(), '');
  r.reportError({ code: 'PUSH_FAILED', message: 'push failed: token=abcdefgh123', details: [], exitCode: 1 });
  r.finish();
  r.finish();
  const doc = JSON.parse(out.text()) as JsonReport;
  assert.equal(Object.keys(doc), ['results', 'events', 'error']);
  assert.equal(doc.results, [{ kind: 'result', app: 'api', target: 'deploy', ok: false, summary: 'push failed' }]);
  assert.is(doc.events.length, events.length);
  assert.is((doc.events[4] as { message: string }).message, 'denied: docker login -p *** failed');
  assert.equal(doc.error, { code: 'PUSH_FAILED', message: 'push failed: token=***', details: [], exitCode: 1 });
  assert.not.match(out.text(), /s3cr3tvalue|AKIAIOSFODNN7EXAMPLE|abcdefgh123/);
});

test('tty mode: finished steps persist with a symbol, the rollout view is drawn live, colour follows the option', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: false, tty: true, color: true, out: out.stream });
  for (const e of events) r.emit(e);
  r.finish();
  const text = out.text();
  assert.match(text, /\x1b\[/); // colour and cursor control
  const plain = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  assert.not.match(plain, /tag: done/, 'the tag line is --verbose only');
  assert.match(plain, /↷ \[api\] build-image: skipped — /);
  assert.match(plain, /✖ \[api\] push: failed — denied: docker login -p \*\*\* failed/);
  assert.match(plain, /PRIMARY api:7 running 2\/2, pending 0/);
  assert.match(plain, /\[api\] event \(service api\) has reached a steady state\./);
  assert.not.match(plain, /s3cr3tvalue|AKIAIOSFODNN7EXAMPLE/);
});

test('errors go to the error stream in text modes', () => {
  const out = sink();
  const err = sink();
  const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out: out.stream, err: err.stream });
  r.reportError({ code: 'CONFIG_INVALID', message: 'bad', details: ['more: password=abc12345'], exitCode: 1 });
  assert.is(out.text(), '');
  assert.is(err.text(), 'error: bad\n  more: password=***\n');
});

test('a terminal without a size, or CI set, gets plain lines (no cursor control)', () => {
  const saved = process.env.CI;
  try {
    delete process.env.CI;
    const sized = sink();
    Object.assign(sized.stream, { isTTY: true, columns: 0 });
    const r = createReporter({ redactor: patternRedactor, json: false, color: false, out: sized.stream });
    r.emit({ kind: 'step', app: 'api', step: 'push', status: 'start', message: 'pushing' });
    r.finish();
    assert.is(sized.text(), '[api] push: pushing\n');
    process.env.CI = 'true';
    const ci = sink();
    Object.assign(ci.stream, { isTTY: true, columns: 120 });
    const r2 = createReporter({ redactor: patternRedactor, json: false, color: false, out: ci.stream });
    r2.emit({ kind: 'step', app: 'api', step: 'push', status: 'start', message: 'pushing' });
    r2.finish();
    assert.is(ci.text(), '[api] push: pushing\n');
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
});

test('plain mode: a no-op app is one line per target, quick starts and set-up skips hidden, the summary at the end', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out: out.stream });
  const noop: FerryEvent[] = [
    { kind: 'step', app: 'api', step: 'build-image', status: 'skip', message: 'r/api:ft-1 is already in the registry' },
    { kind: 'result', app: 'api', target: 'build-image', ok: true, summary: 'r/api:ft-1 is already in the registry' },
    { kind: 'step', app: 'api', step: 'ensure-repository', status: 'skip', message: 'api is set up' },
    { kind: 'step', app: 'api', step: 'push', status: 'skip', message: 'r/api:ft-1 is already in ECR' },
    { kind: 'result', app: 'api', target: 'push', ok: true, summary: 'r/api:ft-1@sha256:0' },
    { kind: 'step', app: 'api', step: 'update-service', status: 'skip', message: 'up to date: api:1 runs ft-1' },
    { kind: 'result', app: 'api', target: 'deploy-app', ok: true, summary: 'up to date: api:1 runs ft-1' },
    { kind: 'step', app: 'api', step: 'health', status: 'start', message: 'checking api' },
    { kind: 'step', app: 'api', step: 'health', status: 'done', message: 'GET /health -> 200' },
    { kind: 'result', app: 'api', target: 'health-check', ok: true, summary: 'GET /health -> 200' },
    { kind: 'summary', summary: { run: 'r', startedAt: '', durationMs: 1000, ok: true, rows: [{ app: 'api', environment: 'local', result: 'up to date', tag: 'ft-1', revision: 'api:1', durationMs: 1000, phases: [] }] } },
  ];
  for (const e of noop) r.emit(e);
  r.finish();
  const lines = out.text().split('\n');
  assert.equal(lines.slice(0, 4), [
    '[api] build-image: skipped — r/api:ft-1 is already in the registry',
    '[api] push: skipped — r/api:ft-1 is already in ECR',
    '[api] deploy-app: ok — up to date: api:1 runs ft-1',
    '[api] health-check: ok — GET /health -> 200',
  ]);
  assert.is(lines[5], 'summary: 1 app: 1 up to date in 1.0s');
  assert.match(lines[8], /^api +local +up to date +ft-1 +api:1 +1\.0s +-$/);
});

test('json mode: the summary event is also the document\'s summary', () => {
  const out = sink();
  const r = createReporter({ redactor: patternRedactor, json: true, out: out.stream });
  const summary = { run: 'r', startedAt: '', durationMs: 1, ok: true, rows: [] };
  r.emit({ kind: 'summary', summary });
  r.finish();
  const doc = JSON.parse(out.text()) as JsonReport;
  assert.equal(doc.summary, summary);
  assert.equal(Object.keys(doc), ['results', 'events', 'summary']);
});

// A run-time secret (a registry password) no pattern recognises: only its session can mask it.
const SECRET = 'zq7-Plain-Looking-Value';

/** Everything one reporter of `session` writes (out and err) for an event, a late event and an error, each naming SECRET. */
function outputOf(session: RunSession, mode: { json: boolean; tty?: boolean }): string {
  const out = sink();
  const err = sink();
  const r = createReporter({ ...mode, color: false, redactor: redactorFor(session), out: out.stream, err: err.stream });
  r.emit({ kind: 'step', app: 'api', step: 'push', status: 'start', message: `docker login with ${SECRET}` });
  r.emit({ kind: 'step', app: 'api', step: 'push', status: 'fail', message: `denied: ${SECRET}`, data: { tried: [SECRET] } });
  r.emit({ kind: 'warn', app: 'api', message: `retrying ${SECRET}` });
  r.reportError({ code: 'PUSH_FAILED', message: `push refused ${SECRET}`, details: [`answer: ${SECRET}`], exitCode: 1 });
  r.finish();
  return out.text() + err.text();
}

for (const mode of [{ json: false, tty: false }, { json: false, tty: true }, { json: true }]) {
  const name = mode.json ? 'json' : mode.tty ? 'tty' : 'plain';
  test(`${name} mode: a secret registered in the session is masked in its reporter's events and error; another session's reporter does not know it`, () => {
    const a = new RunSession({ workspaceRoot: '/nowhere' });
    const b = new RunSession({ workspaceRoot: '/nowhere' });
    a.use(runSecrets).add(SECRET);
    const masked = outputOf(a, mode);
    assert.not.ok(masked.includes(SECRET), masked);
    assert.match(masked, /push refused \*\*\*/);
    assert.match(masked, /answer: \*\*\*/);
    assert.match(masked, /denied: \*\*\*/);
    // Session b never obtained the value: its output shows it (proving a's secret did not leak into b).
    const other = outputOf(b, mode);
    assert.match(other, /push refused zq7-Plain-Looking-Value/);
  });
}

test('json mode: a secret the run obtains after an event was emitted is masked in the document', () => {
  const session = new RunSession({ workspaceRoot: '/nowhere' });
  const out = sink();
  const r = createReporter({ json: true, redactor: redactorFor(session), out: out.stream });
  r.emit({ kind: 'info', app: 'api', message: `token ${SECRET}` });
  session.use(runSecrets).add(SECRET);
  r.finish();
  assert.not.ok(out.text().includes(SECRET));
  assert.is((JSON.parse(out.text()) as JsonReport).events[0].kind, 'info');
});

const colorCases: [string, boolean | undefined, boolean, NodeJS.ProcessEnv, boolean][] = [
  ['tty default', undefined, true, {}, true],
  ['pipe default', undefined, false, {}, false],
  ['NO_COLOR on a tty', undefined, true, { NO_COLOR: '1' }, false],
  ['FORCE_COLOR in a pipe', undefined, false, { FORCE_COLOR: '1' }, true],
  ['FORCE_COLOR=0 on a tty', undefined, true, { FORCE_COLOR: '0' }, false],
  ['--no-color beats FORCE_COLOR', false, true, { FORCE_COLOR: '1' }, false],
];
for (const [name, opt, tty, env, expected] of colorCases) {
  test(`colour: ${name}`, () => assert.is(colorEnabled(opt, tty, env), expected));
}

test.run();
