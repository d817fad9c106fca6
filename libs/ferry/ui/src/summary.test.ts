import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FerryEvent, RunSummary } from '@ferry/core';
import { buildSummary, endTask, formatDuration, noteEvent, renderGantt, renderSummaryMarkdown, renderSummaryTable, renderTimelineText, RunRecord } from './summary.ts';

const T0 = 1_800_000_000_000;

/** A record of a run: [app, target, env, start s, end s, code | 'skipped', events]. */
function record(tasks: [string, string, string | undefined, number, number, number | 'skipped', FerryEvent[]?][]): RunRecord {
  const rec = new RunRecord(T0);
  for (const [app, target, env, start, end, code, events = []] of tasks) {
    if (code === 'skipped') {
      rec.skipped({ app, target, env }, T0 + start * 1000);
      continue;
    }
    const t = rec.begin({ app, target, env }, T0 + start * 1000);
    for (const e of events) noteEvent(t, e);
    endTask(t, code, T0 + end * 1000);
  }
  return rec;
}

const deployAppResult = (app: string, action: string, tag: string, rev: number): FerryEvent => ({
  kind: 'result',
  app,
  target: 'deploy-app',
  ok: true,
  summary: '',
  data: { action, tag, taskDefinitionArn: `arn:aws:ecs:us-east-1:000000000000:task-definition/${app}:${rev}` },
});
const deployResult = (app: string, tag: string, rev: number, url?: string): FerryEvent => ({ kind: 'result', app, target: 'deploy', ok: true, summary: '', data: { tag, revision: `${app}:${rev}`, ...(url && { url }) } });

const cases: { name: string; tasks: Parameters<typeof record>[0]; rows: { app: string; environment: string; result: string; tag?: string; revision?: string; url?: string; durationMs: number; phases: string[] }[]; ok: boolean }[] = [
  {
    name: 'a changed app is deployed; its phases are build, push, rollout',
    tasks: [
      ['api', 'build-image', undefined, 0, 10, 0, [{ kind: 'result', app: 'api', target: 'build-image', ok: true, summary: '', data: { tag: 'ft-1' } }]],
      ['api', 'push', undefined, 10, 12, 0],
      ['api', 'deploy-app', undefined, 12, 40, 0, [deployAppResult('api', 'update', 'ft-1', 2)]],
      ['api', 'deploy', undefined, 41, 42, 0, [deployResult('api', 'ft-1', 2, 'http://127.0.0.1:40001')]],
    ],
    rows: [{ app: 'api', environment: 'local', result: 'deployed', tag: 'ft-1', revision: 'api:2', url: 'http://127.0.0.1:40001', durationMs: 42_000, phases: ['build', 'push', 'rollout'] }],
    ok: true,
  },
  {
    name: 'a no-op is up to date, with no phase for the timeline (nothing was built, pushed or rolled out); the environment named by --env wins over the default',
    tasks: [
      ['web', 'build-image', 'staging', 0, 1, 0, [{ kind: 'step', app: 'web', step: 'build-image', status: 'skip', message: 'r/web:ft-2 is already in the registry' }]],
      ['web', 'deploy-app', 'staging', 0, 1, 0, [deployAppResult('web', 'up-to-date', 'ft-2', 1)]],
    ],
    rows: [{ app: 'web', environment: 'staging', result: 'up to date', tag: 'ft-2', revision: 'web:1', durationMs: 1000, phases: [] }],
    ok: true,
  },
  {
    name: 'a failed rollout that ferry rolled back is "rolled back", the rest of its chain skipped',
    tasks: [
      ['api', 'deploy-app', undefined, 0, 30, 1, [{ kind: 'step', app: 'api', step: 'rollback', status: 'done', message: 'rolled back: api:1 is live again' }]],
      ['api', 'health-check', undefined, 30, 30, 'skipped'],
    ],
    rows: [{ app: 'api', environment: 'local', result: 'rolled back', durationMs: 30_000, phases: ['rollout'] }],
    ok: false,
  },
  {
    name: 'a failed build is "failed"; an app whose every task was skipped is "skipped"; diff is not summed up',
    tasks: [
      ['api', 'build-image', undefined, 0, 5, 1],
      ['worker', 'deploy-app', undefined, 5, 5, 'skipped'],
      ['worker', 'diff', undefined, 0, 1, 0],
    ],
    rows: [
      { app: 'api', environment: 'local', result: 'failed', durationMs: 5000, phases: ['build'] },
      { app: 'worker', environment: 'local', result: 'skipped', durationMs: 0, phases: [] },
    ],
    ok: false,
  },
];

for (const c of cases) {
  test(`summary: ${c.name}`, () => {
    const s = buildSummary(record(c.tasks), { run: 'r1', defaultEnv: 'local', now: T0 + 60_000 });
    assert.equal(
      s.rows.map((r) => ({ app: r.app, environment: r.environment, result: r.result, ...(r.tag && { tag: r.tag }), ...(r.revision && { revision: r.revision }), ...(r.url && { url: r.url }), durationMs: r.durationMs, phases: r.phases.map((p) => p.name) })),
      c.rows,
    );
    assert.is(s.ok, c.ok);
  });
}

const durations: [number, string][] = [
  [850, '850ms'],
  [12_340, '12.3s'],
  [125_000, '2m05s'],
];
for (const [ms, text] of durations) test(`duration ${ms} -> ${text}`, () => assert.is(formatDuration(ms), text));

const two: RunSummary = {
  run: 'r1',
  startedAt: new Date(T0).toISOString(),
  durationMs: 40_000,
  ok: false,
  rows: [
    {
      app: 'api',
      environment: 'local',
      result: 'deployed',
      tag: 'ft-0123456789abcdef0123',
      revision: 'api:2',
      durationMs: 40_000,
      url: 'http://127.0.0.1:40001',
      phases: [
        { name: 'build', start: T0, end: T0 + 10_000 },
        { name: 'push', start: T0 + 10_000, end: T0 + 12_000 },
        { name: 'rollout', start: T0 + 12_000, end: T0 + 40_000 },
      ],
    },
    { app: 'worker', environment: 'local', result: 'failed', tag: 'ft-ffff', durationMs: 20_000, failed: ['deploy-app'], phases: [{ name: 'rollout', start: T0 + 20_000, end: T0 + 40_000 }] },
  ],
};

test('terminal table: headline, header, rule, one row per app; no line over 100 columns', () => {
  const lines = renderSummaryTable(two);
  assert.equal(lines.slice(0, 1), ['summary: 2 apps: 1 deployed, 1 failed in 40.0s']);
  assert.match(lines[1], /^app +environment +result +tag +revision +duration +URL$/);
  assert.match(lines[2], /^-+$/);
  assert.match(lines[3], /^api +local +deployed +ft-0123456789abcdef0123 +api:2 +40\.0s +http:\/\/127\.0\.0\.1:40001$/);
  assert.match(lines[4], /^worker +local +failed +ft-ffff +- +20\.0s +-$/);
  assert.is(lines.length, 5);
  for (const l of lines) assert.ok(l.length <= 100, l);
});

test('text timeline: one bar per app over the run; b/p/r mark the phases; the slowest phase is named', () => {
  const lines = renderTimelineText(two, 20);
  assert.equal(lines, [
    'timeline: b build, p push, r rollout; 20 columns = 40.0s',
    '  api    |bbbbbpRrrrrrrrrrrrrr| rollout 28.0s'.replace('R', 'r'),
    '  worker |          rrrrrrrrrr| rollout 20.0s',
  ]);
  assert.equal(renderTimelineText({ ...two, rows: [two.rows[0]] }), [], 'no timeline for one app');
});

test('markdown: heading, a table row per app, cells escaped, and the gantt with several apps', () => {
  const text = renderSummaryMarkdown({ ...two, rows: [{ ...two.rows[0], url: 'http://x/a|b' }, two.rows[1]] });
  const lines = text.split('\n');
  assert.is(lines[0], '### ferry: 2 apps: 1 deployed, 1 failed in 40.0s');
  assert.is(lines[2], '| App | Environment | Result | Tag | Revision | Duration | URL |');
  assert.is(lines[3], '|---|---|---|---|---|---|---|');
  assert.is(lines[4], '| api | local | ✅ deployed | `ft-0123456789abcdef0123` | api:2 | 40.0s | http://x/a\\|b |');
  assert.is(lines[5], '| worker | local | ❌ failed | `ft-ffff` | - | 20.0s | - |');
  assert.match(text, /```mermaid\ngantt\n/);
  assert.ok(text.endsWith('```\n\n'), 'ends with a blank line, so a second run appends cleanly');
});

test('gantt: sections per app, phases in ms from the first start, failed apps marked crit', () => {
  assert.equal(renderGantt(two), [
    '```mermaid',
    'gantt',
    '  title ferry run timeline',
    '  dateFormat x',
    '  axisFormat %M:%S',
    '  section api',
    '    build :a0p0, 0, 10000',
    '    push :a0p1, 10000, 12000',
    '    rollout :a0p2, 12000, 40000',
    '  section worker',
    '    rollout :crit, a1p0, 20000, 40000',
    '```',
  ]);
  assert.equal(renderGantt({ ...two, rows: [two.rows[0]] }), []);
});

test.run();
