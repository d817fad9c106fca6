import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResolvedApp } from '@ferry/core';
import { clearLiveRecord, LIVE_RECORD_MAX_AGE_MS, readLiveRecord, writeLiveRecord } from './live-record.ts';
import { evaluateEcsHealth } from './health.ts';
import type { LiveState } from './plan.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-live-record-'));
const resolved = { projectRoot: dir, env: { name: 'local', cluster: 'c1' }, app: { service: 'api' } } as unknown as ResolvedApp;
const live = { service: { serviceName: 'api', status: 'ACTIVE', runningCount: 1, desiredCount: 1 }, taskDef: null } as unknown as LiveState;
const inRun = { NX_INVOCATION_ROOT_PID: '4242' };

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('a later step of the same Nx run gets what deploy-app read', () => {
  writeLiveRecord(resolved, live, 1000, inRun);
  assert.equal(readLiveRecord(resolved, { env: inRun, now: 1500 }), live);
});

test('never across runs, after the age limit, for another cluster or service, or when turned off', () => {
  writeLiveRecord(resolved, live, 1000, inRun);
  const cases: [string, Parameters<typeof readLiveRecord>[0], NodeJS.ProcessEnv, number][] = [
    ['another Nx run', resolved, { NX_INVOCATION_ROOT_PID: '4243' }, 1500],
    ['outside Nx (script run directly)', resolved, {}, 1500],
    ['too old', resolved, inRun, 1000 + LIVE_RECORD_MAX_AGE_MS + 1],
    ['clock went back', resolved, inRun, 999],
    ['other cluster', { ...resolved, env: { ...resolved.env, cluster: 'c2' } } as ResolvedApp, inRun, 1500],
    ['other service', { ...resolved, app: { ...resolved.app, service: 'web' } } as ResolvedApp, inRun, 1500],
    ['FERRY_REUSE_LIVE=0', resolved, { ...inRun, FERRY_REUSE_LIVE: '0' }, 1500],
  ];
  for (const [name, r, env, now] of cases) assert.is(readLiveRecord(r, { env, now }), undefined, name);
});

test('outside Nx, or after a change, the old record is removed', () => {
  writeLiveRecord(resolved, live, 1000, inRun);
  writeLiveRecord(resolved, live, 1000, {});
  assert.is(readLiveRecord(resolved, { env: inRun, now: 1500 }), undefined);
  writeLiveRecord(resolved, live, 1000, inRun);
  clearLiveRecord(resolved);
  assert.is(readLiveRecord(resolved, { env: inRun, now: 1500 }), undefined);
});

test('health without a task list judges the service view alone; an empty list still counts', () => {
  const service = { status: 'ACTIVE', runningCount: 2, desiredCount: 2, deployments: [{ id: 'd1', status: 'PRIMARY', rolloutState: 'COMPLETED' }] };
  assert.ok(evaluateEcsHealth(service as never, undefined, false).ok);
  const listed = evaluateEcsHealth(service as never, [], false);
  assert.not.ok(listed.ok);
  assert.match(listed.problems.join(), /0 RUNNING task/);
});

test.run();
