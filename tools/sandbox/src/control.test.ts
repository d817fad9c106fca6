import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Control } from './control.ts';

test('throttle: the next N calls of the operation, then none; other operations untouched', () => {
  const c = new Control();
  c.setFaults({ throttle: { operation: 'DescribeServices', count: 2 } });
  assert.ok(c.takeThrottle('ecs', 'DescribeServices'));
  assert.not.ok(c.takeThrottle('ecs', 'UpdateService'));
  assert.ok(c.takeThrottle('ecs', 'DescribeServices'));
  assert.not.ok(c.takeThrottle('ecs', 'DescribeServices'));
});

test('throttle can be narrowed to one service', () => {
  const c = new Control();
  c.setFaults({ throttle: { operation: 'ListTagsForResource', count: 1, service: 'ecr' } });
  assert.not.ok(c.takeThrottle('ecs', 'ListTagsForResource'));
  assert.ok(c.takeThrottle('ecr', 'ListTagsForResource'));
});

test('registry outage by requests, by seconds, drop, clear', () => {
  const c = new Control();
  c.setFaults({ registryOutage: { requests: 2 } });
  assert.equal([c.takeOutage(), c.takeOutage(), c.takeOutage()], ['503', '503', undefined]);
  c.setFaults({ registryOutage: { seconds: 60, drop: true } });
  assert.is(c.takeOutage(), 'drop');
  assert.is(c.takeOutage(), 'drop');
  c.clearFaults();
  assert.is(c.takeOutage(), undefined);
  c.setFaults({ registryOutage: { seconds: 0.001 } });
  const until = Date.now() + 20;
  while (Date.now() < until);
  assert.is(c.takeOutage(), undefined, 'expired');
});

test('malformed fault specs are rejected with a message naming the shape', () => {
  const c = new Control();
  for (const bad of [{ throttle: { operation: 'X', count: 0 } }, { registryOutage: {} }, { registryOutage: { requests: -1 } }, { slow: 1 }] as any[]) {
    assert.throws(() => c.setFaults(bad), /faults/);
  }
});

test('stats count per key and reset', () => {
  const c = new Control();
  c.count('ecs', 'DescribeServices');
  c.count('ecs', 'DescribeServices');
  c.count('registry', 'PUT');
  assert.equal(c.stats(), { ecs: { DescribeServices: 2 }, ecr: {}, logs: {}, autoscaling: {}, elbv2: {}, registry: { PUT: 1 } });
  c.resetStats();
  assert.equal(c.stats(), { ecs: {}, ecr: {}, logs: {}, autoscaling: {}, elbv2: {}, registry: {} });
});

test.run();
