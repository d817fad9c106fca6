import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunSession, type ResolvedApp } from '@ferry/core';
import { checkRecordIsCurrent, planPush, registryLogins } from './push-image.ts';
import type { ImageRecord } from './image-record.ts';

const record: ImageRecord = {
  project: 'api',
  environment: 'local',
  registry: '127.0.0.1:5000',
  repository: 'ferry-sample/api',
  tag: 'ft-1',
  imageRef: '127.0.0.1:5000/ferry-sample/api:ft-1',
  gitSha: 'abc',
  inputs: { files: 1, dockerfile: 'd', platform: 'linux/amd64', buildArgs: [], externalPackages: 0, dirty: false },
};

test('already in ECR: skip and take the registry digest', () => {
  const plan = planPush({ record, inRegistry: { digest: 'sha256:e' }, local: null });
  assert.is(plan.action, 'skip');
  assert.match(plan.message, /already pushed/);
  assert.is(plan.record.digest, 'sha256:e');
});

test('push: login reads the password from stdin, never from the arguments', () => {
  const plan = planPush({ record, inRegistry: null, local: { id: 'sha256:l' } }, '/usr/bin/docker');
  assert.is(plan.action, 'push');
  if (plan.action !== 'push') return;
  assert.equal(plan.commands.login, ['/usr/bin/docker', 'login', '--password-stdin', '--username', 'AWS', '127.0.0.1:5000']);
  assert.equal(plan.commands.push, ['/usr/bin/docker', 'push', '127.0.0.1:5000/ferry-sample/api:ft-1']);
});

test('nothing to push anywhere: NOT_FOUND telling to run build-image', () => {
  try {
    planPush({ record, inRegistry: null, local: null });
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'NOT_FOUND');
    assert.match(e.message, /Run build-image for api \(--env local\) first/);
  }
});

test('dry run: an image not built yet is planned as a push (the chain\'s build-image built nothing)', () => {
  const plan = planPush({ record, inRegistry: null, local: null }, 'docker', { dryRun: true });
  assert.is(plan.action, 'push');
  assert.match(plan.message, /not built yet: build-image builds it first/);
  if (plan.action === 'push') assert.equal(plan.commands.push, ['docker', 'push', '127.0.0.1:5000/ferry-sample/api:ft-1']);
});

const resolved = { env: { name: 'local' } } as unknown as ResolvedApp;

test('checkRecordIsCurrent accepts a record matching the workspace', () => {
  checkRecordIsCurrent(record, { tag: 'ft-1', registry: '127.0.0.1:5000', repository: 'ferry-sample/api' }, resolved);
});

test('checkRecordIsCurrent refuses a stale record and says to run build-image', () => {
  try {
    checkRecordIsCurrent(record, { tag: 'ft-2', registry: '127.0.0.1:5001', repository: 'ferry-sample/api' }, resolved);
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'USAGE');
    assert.match(e.message, /content tag is now ft-2/);
    assert.match(e.message, /registry 127\.0\.0\.1:5000, the environment now uses 127\.0\.0\.1:5001/);
    assert.match(e.message, /nx run api:build-image --configuration=local/);
  }
});

test('registryLogins: one login per key for the whole run, removed when the run ends; a failed one is not kept', async () => {
  const session = new RunSession({ workspaceRoot: '/w' });
  const logins = session.use(registryLogins);
  const made: string[] = [];
  const disposed: string[] = [];
  let fail = true;
  const login = (name: string) => async () => {
    if (name === 'flaky' && fail) throw new Error('registry down');
    made.push(name);
    return { configDir: `/tmp/${name}`, dispose: () => disposed.push(name) };
  };
  const [a1, a2] = await Promise.all([logins.get('docker\0reg-a', login('a')), logins.get('docker\0reg-a', login('a'))]);
  assert.is(a1, a2, 'two apps pushing to one registry share one login');
  await logins.get('docker\0reg-b', login('b'));
  await logins.get('docker\0reg-x', login('flaky')).then(() => assert.unreachable('should fail'), () => undefined);
  fail = false;
  await logins.get('docker\0reg-x', login('flaky'));
  assert.equal(made, ['a', 'b', 'flaky'], 'a failed login is tried again by the next push');
  assert.equal(disposed, [], 'kept while the run lasts');
  await session.close();
  assert.equal(disposed.sort(), ['a', 'b', 'flaky']);
});

test('registryLogins.ahead: a push finds the login made ahead; an ahead login that failed is made again by the push', async () => {
  const session = new RunSession({ workspaceRoot: '/w' });
  const logins = session.use(registryLogins);
  const made: string[] = [];
  const login = (name: string, fail = false) => async () => {
    if (fail) throw new Error(`${name}: registry down`);
    made.push(name);
    return { configDir: `/tmp/${name}`, dispose: () => undefined };
  };
  logins.ahead('k', login('ahead'));
  logins.ahead('k', login('second ahead'));
  const pushed = await logins.get('k', login('push'));
  assert.is(pushed.configDir, '/tmp/ahead', "the push uses the login made ahead");
  assert.equal(made, ['ahead'], 'one login for the key, however often it is asked for ahead');

  // The ahead attempt fails while a push waits on it: the push logs in itself (its retries and report).
  logins.ahead('j', login('ahead', true));
  const own = await logins.get('j', login('push'));
  assert.is(own.configDir, '/tmp/push');
  // A push's own failure is the push's: it is not retried behind its back.
  await logins.get('x', login('push', true)).then(() => assert.unreachable('should fail'), (e: Error) => assert.match(e.message, /registry down/));
  assert.equal(made, ['ahead', 'push']);
  await session.close();
});

test('registryLogins: a login that ends after the run closed is removed at once', async () => {
  const session = new RunSession({ workspaceRoot: '/w' });
  let finish!: () => void;
  const disposed: string[] = [];
  const pending = session.use(registryLogins).get('k', () => new Promise((r) => (finish = () => r({ configDir: '/tmp/late', dispose: () => disposed.push('late') }))));
  await session.close();
  finish();
  await pending;
  assert.equal(disposed, ['late']);
});

test.run();
