import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { checkPlaintextSecrets, plaintextSecrets } from './secrets.ts';
import { historyEntries, historyRows } from './history.ts';
import { diffTaskDefinitions } from './task-definition.ts';

test('plaintextSecrets: names and values that look like secrets', () => {
  const cases: Array<[Record<string, string>, string[]]> = [
    [{ LOG_LEVEL: 'info', API_URL: 'http://x' }, []],
    [{ DB_PASSWORD: 'hunter2' }, ['DB_PASSWORD']],
    [{ STRIPE_SECRET: 'x', GITHUB_TOKEN: 'y', SIGNING_KEY: 'z' }, ['GITHUB_TOKEN', 'SIGNING_KEY', 'STRIPE_SECRET']],
    [{ SOMETHING: 'AKIAABCDEFGHIJKLMNOP' }, ['SOMETHING']],
    [{ PEM: '-----BEGIN RSA PRIVATE KEY-----\nabc' }, ['PEM']],
    [{ JWT_PUBLIC_KEY: 'ssh-rsa AAA', KMS_KEY_ID: 'alias/x' }, []],
  ];
  for (const [env, names] of cases) assert.equal(plaintextSecrets(env), names, JSON.stringify(env));
});

test('checkPlaintextSecrets: refuses with the fix, warns with --allow-plaintext-secrets', () => {
  assert.is(checkPlaintextSecrets('api', { LOG_LEVEL: 'x' }, false), undefined);
  let err: unknown;
  try {
    checkPlaintextSecrets('api', { DB_PASSWORD: 'hunter2' }, false);
  } catch (e) {
    err = e;
  }
  assert.instance(err, FerryError);
  assert.is((err as FerryError).code, 'CONFIG_INVALID');
  assert.match((err as FerryError).message, /DB_PASSWORD/);
  assert.match((err as FerryError).message, /"secrets"/);
  assert.not.match((err as FerryError).message, /hunter2/);
  const warn = checkPlaintextSecrets('api', { DB_PASSWORD: 'hunter2' }, true);
  assert.match(warn!, /--allow-plaintext-secrets/);
  assert.not.match(warn!, /hunter2/);
  // Template mode: deploy.json's "secrets" is refused there, so the fix names the template.
  try {
    checkPlaintextSecrets('api', { DB_PASSWORD: 'hunter2' }, false, 'apps/api/ecs-task-def.json');
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.match((e as Error).message, /Move them to the container's "secrets" in apps\/api\/ecs-task-def\.json/);
    assert.not.match((e as Error).message, /hunter2/);
  }
});

test('diff masks secret-looking values, still shows that they changed', () => {
  const td = (v: string) => ({ family: 'api', containerDefinitions: [{ name: 'api', image: 'i', environment: [{ name: 'DB_PASSWORD', value: v }, { name: 'K', value: 'AKIAABCDEFGHIJKLMNOP' }] }] });
  const text = diffTaskDefinitions(td('old-secret-1') as never, td('new-secret-2') as never);
  assert.not.match(text, /old-secret-1|new-secret-2|AKIAABCDEFGHIJKLMNOP/);
  assert.match(text, /<masked sha256:[0-9a-f]{8}>/);
  assert.match(text, /^-.*DB_PASSWORD|^\+.*masked/m);
});

test('history: newest deploy first, live marked, result and who', () => {
  const revs = [
    { arn: 'arn:aws:ecs:r:1:task-definition/api:3', revision: 3, contentTag: 'ft-3', result: 'failed', deployedBy: 'bo@ci', deployedAt: 3000, gitSha: 'c'.repeat(40) },
    { arn: 'arn:aws:ecs:r:1:task-definition/api:2', revision: 2, contentTag: 'ft-2', result: 'completed', deployedBy: 'ana@lap', deployedAt: 4000, status: 'completed' },
    { arn: 'arn:aws:ecs:r:1:task-definition/api:1', revision: 1, image: 'x/api:ft-1', registeredAt: 1000 },
  ];
  const h = historyEntries(revs, revs[1].arn);
  assert.equal(h.map((e) => e.revision), [2, 3, 1]);
  assert.equal(h.map((e) => e.result), ['completed', 'failed', 'registered']);
  assert.ok(h[0].live && !h[1].live);
  assert.is(h[2].tag, 'ft-1');
  assert.is(h[0].at, new Date(4000).toISOString());
  const rows = historyRows(h);
  assert.equal(rows[0], ['revision', 'tag', 'git', 'deployed by', 'at', 'result', 'migration']);
  assert.is(rows[1][6], '-');
  assert.is(rows[1][0], 'api:2 (live)');
  assert.is(rows[2][2], 'c'.repeat(12));
  assert.is(historyEntries(revs, undefined, 1).length, 1);
});

test.run();
