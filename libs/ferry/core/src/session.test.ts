import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RunSession, sessionPart, Slots } from './session.ts';

test('Slots: never more than its size at once, waiters in arrival order, a failure frees its slot', async () => {
  const slots = new Slots(2);
  let now = 0;
  let max = 0;
  const order: number[] = [];
  const job = (i: number, ms: number, fail = false) =>
    slots.run(async () => {
      max = Math.max(max, ++now);
      order.push(i);
      await new Promise((r) => setTimeout(r, ms));
      now--;
      if (fail) throw new Error(`job ${i} failed`);
      return i;
    });
  const results = await Promise.allSettled([job(1, 30, true), job(2, 10), job(3, 5), job(4, 5), job(5, 5)]);
  assert.is(max, 2);
  assert.equal(order, [1, 2, 3, 4, 5]);
  assert.equal(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)), ['job 1 failed', 2, 3, 4, 5]);
  assert.is(slots.running, 0, 'every slot given back');
});

test('Slots: a size that is not a whole number >= 1 is refused', () => {
  for (const n of [0, -1, 1.5, Number.NaN]) assert.throws(() => new Slots(n), /whole number >= 1/);
});

test('session parts: one instance per session, none shared between sessions', () => {
  const part = sessionPart('counter', () => ({ n: 0 }));
  const a = new RunSession({ workspaceRoot: '/w' });
  const b = new RunSession({ workspaceRoot: '/w' });
  a.use(part).n++;
  assert.is(a.use(part).n, 1);
  assert.is(b.use(part).n, 0);
});

test.run();
