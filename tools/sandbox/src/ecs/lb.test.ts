// The sandbox load balancer against real loopback HTTP servers: round-robin, 503 without targets,
// draining waits for in-flight requests.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort, LoadBalancers, portIsFree, type Target } from './lb.ts';

const servers: http.Server[] = [];
let lb: LoadBalancers;
let targets: Target[] = [];

async function backend(name: string, delayMs = 0): Promise<number> {
  const s = http.createServer((req, res) => setTimeout(() => res.end(`${name} ${req.method} ${req.url}`), delayMs));
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

test.before(async () => {
  lb = new LoadBalancers(() => targets, () => {});
});

test.after(async () => {
  await lb.closeAll();
  for (const s of servers) s.close();
});

test('503 without healthy targets, round-robin over targets, path and method forwarded', async () => {
  const port = await freePort();
  assert.ok(await portIsFree(port));
  await lb.open('c/web', port);
  assert.ok(lb.has('c/web'));
  assert.not.ok(await portIsFree(port));
  const url = `http://127.0.0.1:${port}`;
  const none = await fetch(url);
  assert.is(none.status, 503);
  await none.text();
  targets = [
    { taskId: 'a', port: await backend('a') },
    { taskId: 'b', port: await backend('b') },
  ];
  const bodies = [];
  for (let i = 0; i < 4; i++) bodies.push(await (await fetch(`${url}/x?y=1`, { method: 'POST', body: 'hi' })).text());
  assert.equal(bodies.sort(), ['a POST /x?y=1', 'a POST /x?y=1', 'b POST /x?y=1', 'b POST /x?y=1']);
  await lb.close('c/web');
  assert.ok(await portIsFree(port));
});

test('drained() waits for in-flight requests of a deregistered target', async () => {
  const port = await freePort();
  await lb.open('c/slow', port);
  targets = [{ taskId: 'slow', port: await backend('slow', 400) }];
  const started = Date.now();
  const inflight = fetch(`http://127.0.0.1:${port}/`).then((r) => r.text());
  await new Promise((r) => setTimeout(r, 50));
  targets = [];
  await lb.drained('slow', 5000);
  const waited = Date.now() - started;
  assert.ok(waited >= 350, `drain waited for the request (${waited} ms)`);
  assert.is(await inflight, 'slow GET /');
  await lb.drained('slow', 5000); // nothing in flight: immediate
  assert.ok(Date.now() - started < 2000);
});

test.run();
