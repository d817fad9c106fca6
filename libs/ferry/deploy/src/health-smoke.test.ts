import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EcsTask } from '@ferry/aws';
import { SecretSet, type SmokeCheck } from '@ferry/core';
import { evaluateEcsHealth, probeHttp, serviceUrl } from './health.ts';
import { checkRequest, evaluateCheck, junitXml, runCheck, scriptCommand, valueAtPath, type SmokeResponse } from './smoke.ts';
import { appConfig, awsEnv, deployment, sandboxEnv, service } from './fixtures.test-support.ts';

const task = (id: string, health: EcsTask['healthStatus'] = 'HEALTHY', lastStatus = 'RUNNING'): EcsTask => ({ taskArn: `t/${id}`, lastStatus, healthStatus: health });

const healthCases: Array<[string, Parameters<typeof evaluateEcsHealth>, boolean, RegExp?]> = [
  ['steady and healthy', [service([deployment({})]), [task('a'), task('b')], true], true],
  ['missing', [undefined, [], true], false, /does not exist/],
  ['two deployments', [service([deployment({ rolloutState: 'IN_PROGRESS' }), deployment({ status: 'ACTIVE' })]), [task('a'), task('b')], true], false, /2 deployments/],
  ['running below desired', [service([deployment({ runningCount: 1 })], { runningCount: 1 }), [task('a')], true], false, /running 1\/2/],
  ['a task UNHEALTHY', [service([deployment({})]), [task('a'), task('b', 'UNHEALTHY')], true], false, /1 task\(s\) not HEALTHY: b UNHEALTHY/],
  // DescribeTasks omits healthStatus for a task with no container health check result yet (ECS model: optional member).
  ['a task without healthStatus', [service([deployment({})]), [task('a'), task('b', undefined as unknown as EcsTask['healthStatus'])].map((t, i) => (i === 1 ? { taskArn: t.taskArn, lastStatus: t.lastStatus } : t)), true], false, /b with no health status \(UNKNOWN\)/],
  ['UNKNOWN is fine without a container health check', [service([deployment({})]), [task('a', 'UNKNOWN'), task('b', 'UNKNOWN')], false], true],
  ['rollout FAILED', [service([deployment({ rolloutState: 'FAILED', rolloutStateReason: 'boom' })]), [task('a'), task('b')], true], false, /FAILED \(boom\)/],
];
for (const [label, args, ok, why] of healthCases) {
  test(`evaluateEcsHealth: ${label}`, () => {
    const h = evaluateEcsHealth(...args);
    assert.is(h.ok, ok, h.problems.join('; '));
    if (why) assert.match(h.problems.join('; '), why);
  });
}

test('serviceUrl: sandbox tag, app url override, none for aws without url', () => {
  const svc = { tags: [{ key: 'ferry:sandbox-url', value: 'http://127.0.0.1:4601/' }] };
  assert.is(serviceUrl(svc, sandboxEnv, appConfig()), 'http://127.0.0.1:4601');
  assert.is(serviceUrl({ tags: [{ key: 'something:lb-url', value: 'http://127.0.0.1:4700' }] }, sandboxEnv, appConfig()), 'http://127.0.0.1:4700');
  assert.is(serviceUrl(svc, awsEnv, appConfig()), undefined);
  assert.is(serviceUrl(undefined, awsEnv, appConfig({ url: 'https://api.example.com/' })), 'https://api.example.com');
});

const json = (v: unknown, status = 200, latencyMs = 10): SmokeResponse => ({ status, body: JSON.stringify(v), latencyMs });
const checkCases: Array<[string, SmokeCheck, SmokeResponse, string[]]> = [
  ['status default 200', { name: 'a', path: '/' }, json({}), []],
  ['wrong status', { name: 'a', path: '/' }, json({}, 500), ['status 500, expected 200']],
  ['expected 400', { name: 'a', path: '/', expectStatus: 400 }, json({}, 400), []],
  ['bodyContains', { name: 'a', path: '/', bodyContains: 'route must be' }, { status: 200, body: 'x route must be one of', latencyMs: 1 }, []],
  ['bodyContains missing', { name: 'a', path: '/', bodyContains: 'zzz' }, json({}), ['body does not contain "zzz"']],
  ['jsonEquals nested and array paths', { name: 'a', path: '/', jsonEquals: { 'a.b': 1, 'list.1.id': 'y', obj: { k: [1] } } }, json({ a: { b: 1 }, list: [{ id: 'x' }, { id: 'y' }], obj: { k: [1] } }), []],
  ['jsonEquals mismatch', { name: 'a', path: '/', jsonEquals: { status: 'ok', 'a.b': 2 } }, json({ status: 'down', a: {} }), ['status is "down", expected "ok"', 'a.b is nothing, expected 2']],
  ['jsonEquals number vs string', { name: 'a', path: '/', jsonEquals: { n: 1 } }, json({ n: '1' }), ['n is "1", expected 1']],
  ['not JSON', { name: 'a', path: '/', jsonEquals: { a: 1 } }, { status: 200, body: '<html>', latencyMs: 1 }, ['body is not JSON (starts "<html>")']],
  ['latency budget', { name: 'a', path: '/', maxLatencyMs: 100 }, json({}, 200, 250), ['took 250 ms, budget 100 ms']],
  ['several failures at once', { name: 'a', path: '/', expectStatus: 201, maxLatencyMs: 5 }, json({}, 200, 6), ['status 200, expected 201', 'took 6 ms, budget 5 ms']],
];
for (const [label, check, res, failures] of checkCases) {
  test(`evaluateCheck: ${label}`, () => {
    const r = evaluateCheck(check, res);
    assert.equal(r.failures, failures);
    assert.is(r.ok, failures.length === 0);
  });
}

for (const [path, want] of [['a.b', 2], ['a.c.0', 'x'], ['a.missing.x', undefined], ['', undefined]] as const) {
  test(`valueAtPath(${path})`, () => assert.equal(valueAtPath({ a: { b: 2, c: ['x'] } }, path), want));
}

test('checkRequest sends objects as JSON and keeps explicit headers', () => {
  const r = checkRequest({ name: 'q', method: 'POST', path: '/quote', body: { a: 1 } }, 'http://h:1/');
  assert.is(r.url, 'http://h:1/quote');
  assert.equal(r.init, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
  const g = checkRequest({ name: 'g', path: '/x', headers: { 'Content-Type': 'text/plain' }, body: 'hi' }, 'http://h:1');
  assert.equal(g.init, { method: 'GET', headers: { 'Content-Type': 'text/plain' }, body: 'hi' });
});

test('scriptCommand: ts through tsx, js with node', () => {
  assert.equal(scriptCommand('smoke.ts').slice(1), ['--import', 'tsx', 'smoke.ts']);
  assert.equal(scriptCommand('smoke.mjs').slice(1), ['smoke.mjs']);
});

test("junitXml: one case per check, failures kept; the run's secrets masked in names and failures", async () => {
  const secrets = new SecretSet();
  secrets.add('tok-0123456789abcdef');
  const xml = await junitXml(
    'api.smoke',
    [
      { name: 'version', ok: true, failures: [], status: 200, latencyMs: 12 },
      { name: 'login', ok: false, failures: ['body.greeting: expected "x", got "tok-0123456789abcdef"'], status: 200, latencyMs: 30 },
    ],
    secrets,
  );
  assert.match(xml, /<testsuite name="api.smoke" tests="2" failures="1"/);
  assert.match(xml, /<testcase classname="api.smoke" name="version" time="0.012"\/>/);
  assert.match(xml, /<failure message="body.greeting: expected &quot;x&quot;, got &quot;\*\*\*&quot;"/);
  assert.not.match(xml, /tok-0123456789abcdef/);
});

test('runCheck and probeHttp against a local server', async () => {
  let hits = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/flaky' && ++hits < 3) {
      res.writeHead(503).end();
      return;
    }
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, got: body ? JSON.parse(body) : null })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const r = await runCheck({ name: 'post', method: 'POST', path: '/q', body: { x: 1 }, jsonEquals: { method: 'POST', 'got.x': 1 } }, base);
    assert.ok(r.ok, r.failures.join());
    const p = await probeHttp(`${base}/flaky`, { expectStatus: 200, attempts: 5, delayMs: 10 });
    assert.equal([p.ok, p.status, p.attempts], [true, 200, 3]);
    const dead = await runCheck({ name: 'dead', path: '/' }, 'http://127.0.0.1:1');
    assert.not.ok(dead.ok);
    assert.match(dead.failures[0], /^request failed/);
  } finally {
    server.close();
  }
});

test.run();
