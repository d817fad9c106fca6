// The rolling step against ECS's documented batch sizing: ECS-SEMANTICS §1 quotes the developer guide
// (deployment-type-ecs.html): desired 4/min 50 -> stop 2 old first; desired 2/min 75 -> can't stop any;
// desired 4/max 200 -> start 4 new first; desired 3/max 125 -> can't start any.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { batchBounds, planStep, type PlanTask } from './rolling-step.ts';

const old = (n: number, healthy = true): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `old${i}`, primary: false, healthy, createdAt: i }));
const fresh = (n: number, healthy: boolean): PlanTask[] => Array.from({ length: n }, (_, i) => ({ id: `new${i}`, primary: true, healthy, createdAt: 100 + i }));

test('batch bounds: the documented examples', () => {
  assert.equal(batchBounds(4, 50, 200), { minHealthy: 2, maxTotal: 8 });
  assert.equal(batchBounds(2, 75, 200), { minHealthy: 2, maxTotal: 4 });
  assert.equal(batchBounds(3, 100, 125), { minHealthy: 3, maxTotal: 3 });
  assert.equal(batchBounds(25, 0, 100), { minHealthy: 0, maxTotal: 25 });
});

const stepCases: { name: string; desired: number; min: number; max: number; tasks: PlanTask[]; canLaunch?: boolean; start: number; stops: number; stalled: boolean }[] = [
  { name: 'desired 4 / min 50 / max 100: stop 2 old first, start 2', desired: 4, min: 50, max: 100, tasks: old(4), start: 2, stops: 2, stalled: false },
  { name: 'desired 2 / min 75 / max 100: cannot stop or start', desired: 2, min: 75, max: 100, tasks: old(2), start: 0, stops: 0, stalled: true },
  { name: 'desired 4 / max 200: start 4 new first, stop none', desired: 4, min: 100, max: 200, tasks: old(4), start: 4, stops: 0, stalled: false },
  { name: 'desired 3 / min 100 / max 125: stuck', desired: 3, min: 100, max: 125, tasks: old(3), start: 0, stops: 0, stalled: true },
  { name: 'new tasks healthy: old ones may go', desired: 2, min: 100, max: 200, tasks: [...old(2), ...fresh(2, true)], start: 0, stops: 2, stalled: false },
  { name: 'new tasks not yet healthy: wait (not stalled)', desired: 2, min: 100, max: 200, tasks: [...old(2), ...fresh(2, false)], start: 0, stops: 0, stalled: false },
  { name: 'unhealthy old tasks are stopped freely', desired: 2, min: 100, max: 200, tasks: old(2, false), start: 2, stops: 2, stalled: false },
  { name: 'scale in: excess primary tasks stop', desired: 1, min: 100, max: 200, tasks: fresh(3, true), start: 0, stops: 2, stalled: false },
  { name: 'scale out from 0', desired: 3, min: 100, max: 200, tasks: [], start: 3, stops: 0, stalled: false },
  { name: 'failed deployment launches nothing and keeps old tasks', desired: 2, min: 50, max: 200, tasks: old(2), canLaunch: false, start: 0, stops: 0, stalled: false },
  { name: 'replacement of one lost task', desired: 2, min: 100, max: 200, tasks: fresh(1, true), start: 1, stops: 0, stalled: false },
  { name: 'min 0 / max 100: stop everything old and start all new', desired: 2, min: 0, max: 100, tasks: old(2), start: 2, stops: 2, stalled: false },
];

for (const c of stepCases) {
  test(`plan step: ${c.name}`, () => {
    const plan = planStep({ desired: c.desired, minimumHealthyPercent: c.min, maximumPercent: c.max, canLaunch: c.canLaunch ?? true, tasks: c.tasks });
    assert.is(plan.start, c.start, 'start');
    assert.is(plan.stop.length, c.stops, 'stops');
    assert.is(plan.stalled, c.stalled, 'stalled');
  });
}

test('plan step never drops healthy tasks below the minimum', () => {
  for (let desired = 1; desired <= 8; desired++)
    for (const min of [0, 50, 75, 100])
      for (const max of [100, 150, 200]) {
        for (let healthyNew = 0; healthyNew <= desired; healthyNew++) {
          const tasks = [...old(desired), ...fresh(healthyNew, true)];
          const plan = planStep({ desired, minimumHealthyPercent: min, maximumPercent: max, canLaunch: true, tasks });
          const healthyLeft = tasks.filter((t) => t.healthy && !plan.stop.includes(t.id)).length;
          assert.ok(healthyLeft >= Math.min(Math.ceil((desired * min) / 100), tasks.filter((t) => t.healthy).length), `desired ${desired} min ${min} max ${max}`);
          assert.ok(tasks.length - plan.stop.length + plan.start <= Math.max(Math.floor((desired * max) / 100), tasks.length - plan.stop.length));
        }
      }
});

test.run();
