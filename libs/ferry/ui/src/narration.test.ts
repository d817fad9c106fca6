import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough } from 'node:stream';
import { patternRedactor, type FerryEvent } from '@ferry/core';
import { checksResult, Narration } from './narration.ts';
import { createReporter } from './reporter.ts';

const CHAIN = ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy'] as const;

/** What each target of a no-op emits for one app (the shapes the targets emit today). */
function noopEvents(app: string, target: (typeof CHAIN)[number], smoke: boolean): FerryEvent[] {
  const ref = `127.0.0.1:5000/s/${app}:ft-1`;
  switch (target) {
    case 'build-image':
      return [
        { kind: 'step', app, step: 'tag', status: 'done', message: 'content tag ft-1' },
        { kind: 'step', app, step: 'build-image', status: 'skip', message: `${ref} is already in the registry, nothing to build` },
        { kind: 'result', app, target, ok: true, summary: `${ref} is already in the registry, nothing to build`, data: { action: 'skip' } },
      ];
    case 'push':
      return [
        { kind: 'step', app, step: 'ensure-repository', status: 'skip', message: 's is set up' },
        { kind: 'step', app, step: 'push', status: 'skip', message: `${ref} is already pushed (sha256:ab)` },
        { kind: 'result', app, target, ok: true, summary: `${ref}@sha256:ab` },
      ];
    case 'deploy-app':
      return [
        { kind: 'step', app, step: 'update-service', status: 'skip', message: `up to date: ${app}:1 runs ft-1` },
        { kind: 'result', app, target, ok: true, summary: `up to date: ${app}:1 runs ft-1`, data: { action: 'up-to-date' } },
      ];
    case 'health-check':
      return [
        // The step's line says what the result says (health.ts): OutcomeFolder prints it once.
        { kind: 'step', app, step: 'health', status: 'done', message: 'ECS: ACTIVE 2/2 running, 1 deployment(s), COMPLETED; GET http://127.0.0.1:4000/health -> 200 in 12 ms' },
        {
          kind: 'result',
          app,
          target,
          ok: true,
          summary: 'ECS: ACTIVE 2/2 running, 1 deployment(s), COMPLETED; GET http://127.0.0.1:4000/health -> 200 in 12 ms',
          data: { url: 'http://127.0.0.1:4000/health', ecs: { summary: 'ACTIVE 2/2 running, 1 deployment(s), COMPLETED' }, http: { ok: true, status: 200, latencyMs: 12 } },
        },
      ];
    case 'smoke-test':
      return [smoke ? { kind: 'result', app, target, ok: true, summary: '5/5 passed against http://127.0.0.1:4000', data: { passed: 5, failed: 0, results: [1, 2, 3, 4, 5] } } : { kind: 'result', app, target, ok: true, summary: 'no smoke checks configured' }];
    case 'deploy':
      return [{ kind: 'result', app, target, ok: true, summary: `local: ${app}:1 runs ft-1, 2/2 tasks`, data: { tag: 'ft-1' } }];
  }
}

/** Runs each task's events through its own reporter, as a batch does, sharing one Narration. */
function batch(apps: Record<string, boolean>, order: [string, (typeof CHAIN)[number]][]): string[] {
  const memory = new Narration();
  memory.plan(order.map(([app, target]) => ({ app, target })));
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  for (const [app, target] of order) {
    const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out, err: out, narration: { memory, target, app } });
    for (const e of noopEvents(app, target, apps[app])) r.emit(e);
    r.finish();
    memory.finished(app, target);
  }
  return text.split('\n').filter(Boolean);
}

test('a no-op batch prints at most 3 lines per app: the image, the rollout, the checks (issue: one line per step and outcome)', () => {
  const apps = { api: true, worker: false };
  // Interleaved the way a batch runs them.
  const order = CHAIN.flatMap((t) => Object.keys(apps).map((a) => [a, t] as [string, (typeof CHAIN)[number]]));
  const lines = batch(apps, order);
  for (const app of Object.keys(apps)) assert.ok(lines.filter((l) => l.startsWith(`[${app}]`)).length <= 3, `${app}: ${lines.join('\n')}`);
  assert.equal(
    lines.filter((l) => l.startsWith('[api]')),
    [
      '[api] build-image: skipped — 127.0.0.1:5000/s/api:ft-1 is already in the registry, nothing to build',
      '[api] deploy-app: ok — up to date: api:1 runs ft-1',
      '[api] checks: ok — ECS ACTIVE 2/2 running, COMPLETED; /health 200 in 12 ms; smoke 5/5 passed',
    ],
  );
  assert.equal(lines.filter((l) => l.startsWith('[worker]')).slice(-1), ['[worker] checks: ok — ECS ACTIVE 2/2 running, COMPLETED; /health 200 in 12 ms; no smoke checks']);
});

test('health-check alone (no smoke-test in the run) prints its own line; push alone says it was already pushed', () => {
  const lines = batch({ api: true }, [['api', 'push'], ['api', 'health-check']]);
  assert.equal(lines, [
    '[api] push: skipped — 127.0.0.1:5000/s/api:ft-1 is already pushed (sha256:ab)',
    '[api] health-check: ok — ECS: ACTIVE 2/2 running, 1 deployment(s), COMPLETED; GET http://127.0.0.1:4000/health -> 200 in 12 ms',
  ]);
});

test('a failed smoke-test prints the held health line, then the failure', () => {
  const memory = new Narration();
  memory.plan([{ app: 'api', target: 'health-check' }, { app: 'api', target: 'smoke-test' }]);
  const health = noopEvents('api', 'health-check', true)[1];
  assert.equal(memory.shape(health, 'health-check'), [], 'held while smoke-test is to come');
  memory.finished('api', 'health-check');
  const failed: FerryEvent = { kind: 'result', app: 'api', target: 'smoke-test', ok: false, summary: '4/5 passed' };
  assert.equal(memory.shape(failed, 'smoke-test'), [health, failed]);
  assert.is(memory.drain().length, 0);
});

test('a smoke-test that ends without a result (an error) still prints the held health line at its end', () => {
  const memory = new Narration();
  memory.plan([{ app: 'api', target: 'health-check' }, { app: 'api', target: 'smoke-test' }]);
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const h = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out, err: out, narration: { memory, target: 'health-check', app: 'api' } });
  for (const e of noopEvents('api', 'health-check', true)) h.emit(e);
  h.finish();
  assert.is(text, '');
  const s = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, out, err: out, narration: { memory, target: 'smoke-test', app: 'api' } });
  s.reportError({ code: 'NO_URL', message: 'no URL', details: [], exitCode: 1 });
  assert.match(text, /^\[api\] health-check: ok — ECS: ACTIVE 2\/2/);
  assert.match(text, /error: no URL/);
});

test('--verbose and --json are not narrated: every event as it comes', () => {
  const memory = new Narration();
  memory.plan([{ app: 'api', target: 'deploy' }]);
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  const r = createReporter({ redactor: patternRedactor, json: false, tty: false, color: false, verbose: true, out, err: out, narration: { memory, target: 'deploy', app: 'api' } });
  for (const e of noopEvents('api', 'deploy', true)) r.emit(e);
  r.finish();
  assert.match(text, /\[api\] deploy: ok — local: api:1 runs ft-1/);
});

test('deploy run on its own (its chain not in the run) prints its line', () => {
  const lines = batch({ api: true }, [['api', 'deploy']]);
  assert.equal(lines, ['[api] deploy: ok — local: api:1 runs ft-1, 2/2 tasks']);
});

test('checksResult: target health and a failed-to-connect probe', () => {
  const health: FerryEvent = { kind: 'result', app: 'web', target: 'health-check', ok: true, summary: 'x', data: { url: 'http://h/ready', ecs: { summary: 'ACTIVE 1/1 running, 2 deployment(s)' }, http: { status: 204, latencyMs: 3 }, targets: [{ state: 'healthy' }, { state: 'draining' }] } };
  const smoke: FerryEvent = { kind: 'result', app: 'web', target: 'smoke-test', ok: true, summary: 'no smoke checks configured' };
  const r = checksResult(health as never, smoke as never);
  assert.is(r.summary, 'ECS ACTIVE 1/1 running, 2 deployment(s); /ready 204 in 3 ms; targets 1/2 healthy; no smoke checks');
  assert.is(r.target, 'checks');
});

test.run();
