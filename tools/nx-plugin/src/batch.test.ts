import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dependencyIds, planBatch } from './batch.ts';

// Nx 23.3 hands the batch executor `dependencies: Record<string, string[]>`
// (nx@23.3.1 dist/src/config/task-graph.d.ts); Nx 24 `Record<string, TaskGraphEdge[]>` with
// `TaskGraphEdge = { id: string; waitFor?: 'started' | 'ready'; inputs?: false }`
// (nx@24.0.7 dist/src/native/index.d.ts).
const readable: [string, unknown[] | undefined, string[]][] = [
  ['no entry', undefined, []],
  ['none', [], []],
  ['Nx 23: ids', ['api:push:local', 'api:build'], ['api:push:local', 'api:build']],
  ['Nx 24: edges', [{ id: 'api:push:local' }, { id: 'api:build', waitFor: 'ready', inputs: false }], ['api:push:local', 'api:build']],
  ['both in one list', ['a:x', { id: 'a:y' }], ['a:x', 'a:y']],
];
for (const [name, edges, ids] of readable) {
  test(`dependencyIds: ${name}`, () => {
    assert.equal(dependencyIds('api:deploy:local', edges), ids);
  });
}

const unreadable: [string, unknown[]][] = [
  ['null', [null]],
  ['a number', [3]],
  ['an object without id', [{ task: 'api:push' }]],
  ['an id that is not a string', [{ id: 7 }]],
];
for (const [name, edges] of unreadable) {
  test(`dependencyIds: ${name} fails the batch instead of dropping the dependency`, () => {
    assert.throws(() => dependencyIds('api:deploy:local', edges), /api:deploy:local has a dependency in a shape .* no task of this batch was run/);
  });
}

const task = (id: string) => {
  const [project, target, configuration] = id.split(':');
  return { id, target: { project, target, configuration } };
};
const chain = ['api:build-image:local', 'api:push:local', 'api:deploy:local'];
const inputs = Object.fromEntries(chain.map((id) => [id, { script: id.split(':')[1], env: 'local' }]));
const where = { workspaceRoot: '/ws' };

test('planBatch: both shapes give the same order; dependencies outside the batch are left to Nx', () => {
  const tasks = Object.fromEntries(chain.map((id) => [id, task(id)]));
  const nx23 = { tasks, dependencies: { [chain[0]]: ['api:build'], [chain[1]]: [chain[0]], [chain[2]]: [chain[1]] } };
  const nx24 = { tasks, dependencies: { [chain[0]]: [{ id: 'api:build' }], [chain[1]]: [{ id: chain[0] }], [chain[2]]: [{ id: chain[1] }] } };
  const expected = [[], [chain[0]], [chain[1]]];
  assert.equal(planBatch(nx23, inputs, where).map((t) => t.dependsOn), expected);
  assert.equal(planBatch(nx24, inputs, where).map((t) => t.dependsOn), expected);
});

test('planBatch: an unknown shape throws before anything runs', () => {
  const tasks = Object.fromEntries(chain.map((id) => [id, task(id)]));
  assert.throws(() => planBatch({ tasks, dependencies: { [chain[1]]: [{ task: chain[0] }] } }, inputs, where), /api:push:local has a dependency/);
});

test.run();
