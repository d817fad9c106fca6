// The project graph from real Nx in temporary workspaces: computed by Nx (@nx/devkit's
// createProjectGraphAsync) vs the graph Nx computed for the running task (readCachedProjectGraph),
// in this process's child for another workspace and in a process started in the workspace itself.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FerryError } from './errors.ts';
import { RunSession } from './session.ts';
import { gitRemoteUrl, gitRevision, gitSnapshot, parseStatusV2 } from './git.ts';
import { getProjectGraph, reduceGraph, transitiveDependencies } from './graph.ts';
import { createFixtureWorkspace, writeFiles } from './testing/workspace.ts';

const ws = createFixtureWorkspace();
test.after(() => ws.cleanup());

test('one graph per run and root: repeated calls of a session share it, another run reads again', async () => {
  const session = new RunSession({ workspaceRoot: ws.root });
  const a = getProjectGraph(ws.root, session);
  const b = getProjectGraph(ws.root, session);
  assert.is(a, b);
  assert.is.not(getProjectGraph(ws.root, new RunSession({ workspaceRoot: ws.root })), a);
  const g = await a;
  assert.equal(Object.keys(g.nodes).sort(), ['api', 'other', 'shared', 'web']);
  assert.equal(g.nodes.web.targetNames, ['build']);
  assert.equal(g.nodes.web.targetInputs.build, ['production', '^production', '{workspaceRoot}/tools/bundle.mjs']);
});

test('outside Nx every process asks Nx: an unchanged tree gives the same graph, a change is seen', async () => {
  const first = await getProjectGraph(ws.root);
  assert.is(first.source, 'nx');
  assert.equal(await getProjectGraph(ws.root), first);
  writeFiles(ws.root, { 'libs/extra/project.json': { name: 'extra', root: 'libs/extra', projectType: 'library' } });
  try {
    const changed = await getProjectGraph(ws.root);
    assert.is(changed.source, 'nx');
    assert.equal(Object.keys(changed.nodes).sort(), ['api', 'extra', 'other', 'shared', 'web']);
  } finally {
    rmSync(join(ws.root, 'libs/extra'), { recursive: true, force: true });
  }
});

test('inside an Nx task the graph Nx cached is used; outside, Nx recomputes it', async () => {
  await getProjectGraph(ws.root);
  // api now also imports @fx/other.
  writeFiles(ws.root, { 'apps/api/src/more.ts': "import { other } from '@fx/other';\nexport const x = other;\n" });
  process.env.NX_TASK_TARGET_PROJECT = 'api';
  try {
    const cached = await getProjectGraph(ws.root);
    assert.is(cached.source, 'nx-cache');
    assert.equal(cached.dependencies.api, ['shared']);
  } finally {
    delete process.env.NX_TASK_TARGET_PROJECT;
  }
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
    externalNodes: { 'npm:@scope/pkg': { type: 'npm', name: 'npm:@scope/pkg', data: { packageName: '@scope/pkg', version: '1.2.3' } } },
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

interface OwnProcessGraph {
  source?: string;
  nodes?: string[];
  apiDeps?: string[];
  /** @nx/devkit was loaded by the end. */
  devkit?: boolean;
  code?: string;
  message?: string;
  details?: string[];
}

/**
 * getProjectGraph in a process started in `root`, as ferry's scripts run there (Nx bound to that
 * workspace); `asNxWorker`: Nx's batch runner is loaded first, as in the process Nx runs a batch in.
 */
function graphInOwnProcess(root: string, env: NodeJS.ProcessEnv = {}, opts: { asNxWorker?: boolean } = {}): OwnProcessGraph {
  const graphModule = pathToFileURL(join(import.meta.dirname, 'graph.ts')).href;
  const code = `
    import { createRequire } from 'node:module';
    import { getProjectGraph } from ${JSON.stringify(graphModule)};
    const req = createRequire(process.cwd() + '/package.json');
    if (${!!opts.asNxWorker}) req('nx/src/tasks-runner/batch/run-batch.js');
    const devkit = () => Object.keys(req.cache).some((f) => f.includes('/@nx/devkit/'));
    try {
      const g = await getProjectGraph(process.cwd());
      console.log(JSON.stringify({ source: g.source, nodes: Object.keys(g.nodes).sort(), apiDeps: g.dependencies.api, devkit: devkit() }));
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, message: e.message, details: e.details }));
    }
    process.exit(0);`;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop()!);
}

test('in a process started in the workspace Nx computes the graph in that process; inside an Nx task it is the graph Nx computed', () => {
  const own = createFixtureWorkspace();
  try {
    const computed = graphInOwnProcess(own.root);
    assert.equal(computed, { source: 'nx', nodes: ['api', 'other', 'shared', 'web'], apiDeps: ['shared'], devkit: true });
    // A new import Nx has not seen yet: the task's graph is the one Nx computed for the run.
    writeFiles(own.root, { 'apps/api/src/more.ts': "import { other } from '@fx/other';\nexport const x = other;\n" });
    assert.equal(graphInOwnProcess(own.root, { NX_TASK_TARGET_PROJECT: 'api' }), { source: 'nx-cache', nodes: ['api', 'other', 'shared', 'web'], apiDeps: ['shared'], devkit: true });
    // In Nx's batch worker the same, from the Nx already loaded there: @nx/devkit is not loaded on top.
    assert.equal(graphInOwnProcess(own.root, { NX_TASK_TARGET_PROJECT: 'api' }, { asNxWorker: true }), { source: 'nx-cache', nodes: ['api', 'other', 'shared', 'web'], apiDeps: ['shared'], devkit: false });
    // Not a project of that graph: not this run's graph, so Nx computes it.
    assert.equal(graphInOwnProcess(own.root, { NX_TASK_TARGET_PROJECT: 'elsewhere' }), { source: 'nx', nodes: ['api', 'other', 'shared', 'web'], apiDeps: ['other', 'shared'], devkit: true });
  } finally {
    own.cleanup();
  }
});

test('a graph Nx cannot compute is GRAPH_FAILED with Nx\'s reasons and the next step, in either process', async () => {
  const broken = createFixtureWorkspace({ 'libs/broken/project.json': '{ "name": "broken", ' });
  try {
    const own = graphInOwnProcess(broken.root);
    const here = await getProjectGraph(broken.root).then(
      () => undefined,
      (err: FerryError) => ({ code: err.code, message: err.message, details: err.details }),
    );
    assert.ok(here, 'computed a graph');
    for (const e of [own, here!]) {
      assert.is(e.code, 'GRAPH_FAILED');
      assert.match(e.message!, /Nx could not compute the project graph in .*: Failed to process project graph\. Run `npx nx show projects` there to see why\./);
      assert.ok(e.details!.some((l: string) => l.includes('libs/broken/project.json')), JSON.stringify(e.details));
    }
  } finally {
    broken.cleanup();
  }
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

// git 2.39's own output of `git status --porcelain=v2 --branch --no-ahead-behind -z` (NUL shown as |),
// in the format https://git-scm.com/docs/git-status#_porcelain_format_version_2 describes.
const SHA = '9f1bb30f79a2a61a2aedb69dbf7710d4b8d7150f';
const statusCases: [string, string, { sha: string; dirty: boolean }][] = [
  ['before the first commit', '# branch.oid (initial)|# branch.head master|? a|', { sha: '', dirty: true }],
  ['before the first commit, empty tree', '# branch.oid (initial)|# branch.head master|', { sha: '', dirty: true }],
  ['clean', `# branch.oid ${SHA}|# branch.head master|`, { sha: SHA, dirty: false }],
  ['a modified file', `# branch.oid ${SHA}|# branch.head master|1 .M N... 100644 100644 100644 587be6b4c3f93f93c489c0111bba5596147a26cb 587be6b4c3f93f93c489c0111bba5596147a26cb a|`, { sha: SHA, dirty: true }],
  ['detached, untracked file', `# branch.oid ${SHA}|# branch.head (detached)|? new.ts|`, { sha: SHA, dirty: true }],
  ['with an upstream', `# branch.oid ${SHA}|# branch.head main|# branch.upstream origin/main|# branch.ab +? -?|`, { sha: SHA, dirty: false }],
];
for (const [label, out, want] of statusCases) {
  test(`parseStatusV2: ${label}`, () => assert.equal(parseStatusV2(out.split('|').join('\0')), want));
}

test('gitRemoteUrl: the origin URL, and empty without one', async () => {
  assert.is(await gitRemoteUrl(ws.root), '');
  execFileSync('git', ['remote', 'add', 'origin', 'https://example.com/team/repo.git'], { cwd: ws.root });
  try {
    assert.is(await gitRemoteUrl(ws.root), 'https://example.com/team/repo.git');
  } finally {
    execFileSync('git', ['remote', 'remove', 'origin'], { cwd: ws.root });
  }
});

test.run();
