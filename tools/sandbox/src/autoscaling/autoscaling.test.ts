import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateFactory } from '../state.ts';
import { createAutoScalingService } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-autoscaling-'));
const open = () => createAutoScalingService({ state: stateFactory(dir), region: 'us-east-1', accountId: '000000000000' });
const failure = async (f: () => unknown) => {
  try {
    await f();
    return { name: 'no error', message: '' };
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
};
test.after(() => rmSync(dir, { recursive: true, force: true }));

const ecs = (id = 'service/c/api') => ({ ServiceNamespace: 'ecs', ResourceId: id, ScalableDimension: 'ecs:service:DesiredCount' });

// Shapes, required members and error codes: /work/shared/aws-models/application-autoscaling/service-2.json
// (RegisterScalableTargetRequest, DescribeScalableTargetsRequest, DeregisterScalableTarget errors).
test('register, describe (filtered by resource id and dimension), update one bound, deregister', async () => {
  const as = open();
  const r = (await as.handlers.RegisterScalableTarget({ ...ecs(), MinCapacity: 2, MaxCapacity: 10 })) as { ScalableTargetARN: string };
  assert.match(r.ScalableTargetARN, /^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]+$/);
  await as.handlers.RegisterScalableTarget({ ...ecs('service/c/web'), MinCapacity: 1, MaxCapacity: 1 });
  const describe = async (ids?: string[]) =>
    ((await as.handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ...(ids && { ResourceIds: ids }), ScalableDimension: 'ecs:service:DesiredCount' })) as { ScalableTargets: { ResourceId: string; MinCapacity: number; MaxCapacity: number }[] }).ScalableTargets;
  assert.equal((await describe()).map((t) => t.ResourceId), ['service/c/api', 'service/c/web']);
  assert.equal((await describe(['service/c/api'])).map((t) => [t.MinCapacity, t.MaxCapacity]), [[2, 10]]);
  // Updating an existing target: the bounds not given are kept.
  const again = (await as.handlers.RegisterScalableTarget({ ...ecs(), MaxCapacity: 20 })) as { ScalableTargetARN: string };
  assert.is(again.ScalableTargetARN, r.ScalableTargetARN);
  assert.equal((await describe(['service/c/api'])).map((t) => [t.MinCapacity, t.MaxCapacity]), [[2, 20]]);
  // Persisted: a sandbox restart finds it.
  assert.equal((await open().handlers.DescribeScalableTargets({ ServiceNamespace: 'ecs', ResourceIds: ['service/c/api'] }) as { ScalableTargets: unknown[] }).ScalableTargets.length, 1);
  await as.handlers.DeregisterScalableTarget(ecs());
  assert.equal(await describe(['service/c/api']), []);
  assert.is((await failure(() => as.handlers.DeregisterScalableTarget(ecs()))).name, 'ObjectNotFoundException');
});

test('validation: the model (required members, enums) and the API rules for ECS targets', async () => {
  const as = open();
  const missing = await failure(() => as.handlers.DescribeScalableTargets({}));
  assert.is(missing.name, 'ValidationException');
  assert.match(missing.message, /ServiceNamespace/);
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs(), ScalableDimension: 'ecs:service:Nope', MinCapacity: 1, MaxCapacity: 2 }))).name, 'ValidationException');
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('api'), MinCapacity: 1, MaxCapacity: 2 }))).name, 'ValidationException');
  assert.match((await failure(() => as.handlers.RegisterScalableTarget(ecs('service/c/new')))).message, /MinCapacity and MaxCapacity are required/);
  assert.match((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('service/c/new'), MinCapacity: 5, MaxCapacity: 2 }))).message, /cannot be greater/);
  assert.is((await failure(() => as.handlers.RegisterScalableTarget({ ...ecs('service/c/new'), MinCapacity: '1', MaxCapacity: 2 }))).name, 'SerializationException');
});

test.run();
