// The project graph from real Nx in a temporary workspace: refresh vs the cache Nx wrote.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from './errors.ts';
import { gitRevision, gitSnapshot } from './git.ts';
import { clearProjectGraphCache, getProjectGraph, reduceGraph, transitiveDependencies } from './graph.ts';
import { createFixtureWorkspace, writeFiles } from './testing/workspace.ts';

const ws = createFixtureWorkspace();
test.after(() => ws.cleanup());

test('one graph per process and root: repeated calls share it', async () => {
  const a = getProjectGraph(ws.root);
  const b = getProjectGraph(ws.root);
  assert.is(a, b);
  const g = await a;
  assert.equal(Object.keys(g.nodes).sort(), ['api', 'other', 'shared', 'web']);
  assert.equal(g.nodes.web.targetNames, ['build']);
  assert.equal(g.nodes.web.targetInputs.build, ['production', '^production', '{workspaceRoot}/tools/bundle.mjs']);
});

test('an unchanged tree reuses the last graph across processes; any change recomputes it', async () => {
  const first = await getProjectGraph(ws.root);
  clearProjectGraphCache();
  const again = await getProjectGraph(ws.root);
  assert.is(again.source, 'ferry-cache');
  assert.equal({ ...again, source: undefined }, { ...first, source: undefined });
  writeFiles(ws.root, { 'docs/new.md': 'x\n' });
  clearProjectGraphCache();
  assert.is((await getProjectGraph(ws.root)).source, 'nx');
  rmSync(join(ws.root, 'docs/new.md'));
});

test('inside an Nx task the graph Nx cached is used; outside, Nx recomputes it', async () => {
  await getProjectGraph(ws.root);
  // api now also imports @fx/other.
  writeFiles(ws.root, { 'apps/api/src/more.ts': "import { other } from '@fx/other';\nexport const x = other;\n" });
  process.env.NX_TASK_TARGET_PROJECT = 'api';
  try {
    clearProjectGraphCache();
    const cached = await getProjectGraph(ws.root);
    assert.is(cached.source, 'nx-cache');
    assert.equal(cached.dependencies.api, ['shared']);
  } finally {
    delete process.env.NX_TASK_TARGET_PROJECT;
  }
  clearProjectGraphCache();
  const fresh = await getProjectGraph(ws.root);
  assert.is(fresh.source, 'nx');
  assert.equal(fresh.dependencies.api, ['other', 'shared']);
  assert.equal(transitiveDependencies(fresh, 'api'), ['other', 'shared']);
});

test('reduceGraph: project deps, npm deps, implicit deps, transitive closure without cycles', () => {
  const g = reduceGraph({
    nodes: {
      a: { name: 'a', type: 'app', data: { root: 'apps/a' } },
      b: { name: 'b', type: 'lib', data: { root: 'libs/b/' } },
      c: { name: 'c', type: 'lib', data: { root: 'libs/c' } },
    },
    externalNodes: { 'npm:@scope/pkg': { name: 'npm:@scope/pkg', data: { packageName: '@scope/pkg', version: '1.2.3' } } },
    dependencies: {
      a: [{ source: 'a', target: 'b', type: 'static' }, { source: 'a', target: 'npm:@scope/pkg', type: 'static' }],
      b: [{ source: 'b', target: 'c', type: 'implicit' }],
      c: [{ source: 'c', target: 'b', type: 'static' }],
    },
  });
  assert.is(g.nodes.b.root, 'libs/b');
  assert.equal(g.externalDependencies.a, ['@scope/pkg']);
  assert.equal(g.externalVersions, { '@scope/pkg': '1.2.3' });
  assert.equal(transitiveDependencies(g, 'a'), ['b', 'c']);
  assert.equal(transitiveDependencies(g, 'b'), ['c']);
});

test('git: a directory that is not a repository gets a message with the next step', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-nogit-'));
  try {
    await gitSnapshot(dir);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, FerryError);
    assert.is((e as FerryError).code, 'GIT_FAILED');
    assert.match((e as Error).message, /is not inside a git repository\. .*git init/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('gitRevision reports the commit and whether the tree is dirty', async () => {
  const rev = await gitRevision(ws.root);
  assert.match(rev.sha, /^[0-9a-f]{40}$/);
  assert.is(rev.dirty, true); // apps/api/src/more.ts from the test above is untracked
});

test.run();
