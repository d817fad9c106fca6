// Content tags in real temporary Nx workspaces with real git (see testing/workspace.ts).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changedInputsSince, computeContentTag, computeContentTags, createContentTagMemo, dockerignoreToGitignore, explainTag, formatTagChanges, lockClosure, primeContentTags, readJsonc, type ContentTag } from './content-tag/index.ts';
import { isFerryRecord } from './content-tag/inputs.ts';
import { getProjectGraph, transitiveDependencies, type ProjectGraphLite } from './graph.ts';
import { gitRevision } from './git.ts';
import { resolveApp } from './resolve.ts';
import { RunSession } from './session.ts';
import { cloneWorkspace, createFixtureWorkspace, git, repositoryAt, writeFiles } from './testing/workspace.ts';

const ws = createFixtureWorkspace();
const root = ws.root;
let graph: ProjectGraphLite;
let base: { api: ContentTag; web: ContentTag };

// The project graph is read once, as in a run (RunSession: one graph per workspace root), and every
// tag below is computed with it. resolveApp takes it from the same session instead of starting Nx
// again for each call (~3 s each); it still reads ferry.json and deploy.json from disk every time,
// so the deploy.json changes below are seen. No test here changes a project's root.
const session = new RunSession({ workspaceRoot: root });
const resolve = (project: string, env?: string) => resolveApp(root, project, env, session);

async function tags(env?: string) {
  const apps = await Promise.all([resolve('api', env), resolve('web', env)]);
  const [api, web] = await computeContentTags(apps, graph);
  return { api, web };
}

/** Applies `change`, computes the tags, then restores the committed tree. */
async function withChange(change: () => void, env?: string) {
  change();
  try {
    return await tags(env);
  } finally {
    git(root, 'reset', '-q', '--hard');
    git(root, 'clean', '-qfd');
  }
}

test.before(async () => {
  graph = await getProjectGraph(root, session);
  base = await tags();
});
test.after(() => ws.cleanup());

test('the project graph sees api -> shared from an import, and the npm package it imports', () => {
  assert.equal(graph.dependencies.api, ['shared']);
  assert.equal(graph.dependencies.web, []);
  assert.equal(transitiveDependencies(graph, 'api'), ['shared']);
  assert.ok(graph.externalDependencies.api.includes('chalk'), JSON.stringify(graph.externalDependencies));
  assert.equal(graph.nodes.api.root, 'apps/api');
  assert.equal(graph.nodes.api.type, 'app');
  assert.equal(graph.nodes.shared.type, 'lib');
});

test('a clean tree gives a valid tag and clean inputs that list exactly the image files', () => {
  assert.match(base.api.tag, /^ft-[0-9a-f]{20}$/);
  assert.is(base.api.inputs.dirty, false);
  const paths = base.api.inputs.files.map((f) => f.path);
  assert.equal(paths, ['apps/api/.dockerignore', 'apps/api/Dockerfile', 'apps/api/project.json', 'apps/api/src/main.ts', 'libs/shared/project.json', 'libs/shared/src/index.ts']);
  assert.equal(base.api.inputs.externalPackages, { chalk: '5.6.2' });
  assert.equal(base.api.inputs.buildArgs, { APP: 'api', BASE_IMAGE: 'ferry-sandbox/node:20' });
  assert.is(base.api.inputs.platform, 'linux/amd64');
  // web is built by its `build` target: its sources count although .dockerignore keeps only dist/
  // (they are the build's Nx inputs), its test file does not (production excludes *.test.ts).
  assert.equal(base.web.inputs.files.map((f) => f.path), ['apps/web/.dockerignore', 'apps/web/Dockerfile', 'apps/web/project.json', 'apps/web/src/main.ts', 'tools/bundle.mjs']);
});

// Images in registries are keyed by these tags: a change to how tags are computed that changes the
// tag of an unchanged tree orphans every pushed image (and redeploys every app). The values below
// are what the scheme gives for fixed trees; they may only change together with TAG_SCHEME.
test('the tag scheme is a contract: the fixture keeps the tags it always had', async () => {
  assert.equal({ api: base.api.tag, web: base.web.tag }, { api: 'ft-17ab2d762cb675e56430', web: 'ft-35437dc4f1bcd563815c' });
  const prod = await tags('prod');
  assert.equal({ api: prod.api.tag, web: prod.web.tag }, { api: 'ft-2767a8314901dccb92e1', web: 'ft-c1f7f682ade392b506bb' });
});

test('the tag scheme is a contract: the sample apps of a fixed commit keep their tags', async () => {
  const repo = repositoryAt('a404aed4dea0664b03803a382818982f6fa714ff');
  try {
    const run = new RunSession({ workspaceRoot: repo.root });
    const apps = await Promise.all(['api', 'web', 'worker'].map((p) => resolveApp(repo.root, p, undefined, run)));
    const tagged = await computeContentTags(apps, await getProjectGraph(repo.root, run));
    assert.equal(Object.fromEntries(tagged.map((t, i) => [apps[i].app.project, t.tag])), {
      api: 'ft-e3a4124d6c97aec7c9b9',
      web: 'ft-2c53b35496b046a8c166',
      worker: 'ft-c5b3303cedd0bbc813c9',
    });
    assert.is(tagged[0].inputs.dirty, false);
  } finally {
    repo.cleanup();
  }
});

test('the tag is stable: the same tree computed twice gives the same tag', async () => {
  const again = await computeContentTag(await resolve('api'), graph);
  assert.is(again.tag, base.api.tag);
});

const changes: [string, () => void, { api: boolean; web: boolean }][] = [
  ['an app file', () => appendFileSync(join(root, 'apps/api/src/main.ts'), '// x\n'), { api: true, web: false }],
  ['a new untracked app file', () => writeFiles(root, { 'apps/api/src/extra.ts': 'export {};\n' }), { api: true, web: false }],
  ['a deleted app file', () => rmSync(join(root, 'apps/api/src/main.ts')), { api: true, web: false }],
  ['a dependency lib file', () => appendFileSync(join(root, 'libs/shared/src/index.ts'), '// x\n'), { api: true, web: false }],
  ['the Dockerfile', () => appendFileSync(join(root, 'apps/api/Dockerfile'), 'ENV X=1\n'), { api: true, web: false }],
  ['another app file', () => appendFileSync(join(root, 'apps/web/src/main.ts'), '// x\n'), { api: false, web: true }],
  ['an unrelated lib', () => appendFileSync(join(root, 'libs/other/src/index.ts'), '// x\n'), { api: false, web: false }],
  ['docs', () => appendFileSync(join(root, 'docs/readme.md'), 'more\n'), { api: false, web: false }],
  ['nx.json cosmetics', () => writeFileSync(join(root, 'nx.json'), JSON.stringify(JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')), null, 4) + '\n'), { api: false, web: false }],
  ['a file excluded by .dockerignore', () => appendFileSync(join(root, 'apps/api/README.md'), 'more\n'), { api: false, web: false }],
  ['a folder excluded by .dockerignore', () => writeFiles(root, { 'apps/api/notes/new.txt': 'x\n' }), { api: false, web: false }],
  ['a test file outside the build inputs', () => appendFileSync(join(root, 'apps/web/src/main.test.ts'), '// x\n'), { api: false, web: false }],
  ['the bundler named in the build inputs', () => appendFileSync(join(root, 'tools/bundle.mjs'), '// x\n'), { api: false, web: true }],
  // ferry writes <project>/dist/ferry/<env>/image.json after each build; web's context is its dist/.
  ['ferry\'s own image records, with a .gitignore that does not cover them', () => writeFiles(root, {
    '.gitignore': 'node_modules\n.nx\n',
    'apps/web/dist/ferry/local/image.json': { imageRef: 'x' },
    'apps/api/dist/ferry/local/image.json': { imageRef: 'y' },
  }), { api: false, web: false }],
  ['a file of web\'s dist/ next to the records, with that .gitignore', () => writeFiles(root, { '.gitignore': 'node_modules\n.nx\n', 'apps/web/dist/main.js': 'x\n' }), { api: false, web: true }],
  ['deploy.json runtime settings', () => writeFiles(root, { 'apps/api/deploy.json': { containerPort: 3000, healthCheckPath: '/health', buildArgs: { APP: 'api' }, desiredCount: 5 } }), { api: false, web: false }],
  ['a build arg (deploy.json)', () => writeFiles(root, { 'apps/api/deploy.json': { buildArgs: { APP: 'api2' } } }), { api: true, web: false }],
  ['the platform (deploy.json)', () => writeFiles(root, { 'apps/api/deploy.json': { buildArgs: { APP: 'api' }, platform: 'linux/arm64' } }), { api: true, web: false }],
  ['an unrelated tsconfig alias', () => {
    const f = join(root, 'tsconfig.base.json');
    const t = JSON.parse(readFileSync(f, 'utf8'));
    t.compilerOptions.paths['@fx/new'] = ['libs/new/src/index.ts'];
    writeFileSync(f, JSON.stringify(t));
  }, { api: false, web: false }],
  ['the compiler target', () => {
    const f = join(root, 'tsconfig.base.json');
    const t = JSON.parse(readFileSync(f, 'utf8'));
    t.compilerOptions.target = 'ES2020';
    writeFileSync(f, JSON.stringify(t));
  }, { api: true, web: true }],
  ['the locked version of an imported package', () => {
    const f = join(root, 'package-lock.json');
    const l = JSON.parse(readFileSync(f, 'utf8'));
    l.packages['node_modules/chalk'].version = '5.6.3';
    writeFileSync(f, JSON.stringify(l));
  }, { api: true, web: false }],
];

for (const [what, change, expected] of changes) {
  test(`changing ${what}: api ${expected.api ? 'changes' : 'keeps'} its tag, web ${expected.web ? 'changes' : 'keeps'} its tag`, async () => {
    const after = await withChange(change);
    assert.is(after.api.tag !== base.api.tag, expected.api, `api ${base.api.tag} -> ${after.api.tag}: ${JSON.stringify(explainTag(base.api.inputs, after.api.inputs))}`);
    assert.is(after.web.tag !== base.web.tag, expected.web, `web ${base.web.tag} -> ${after.web.tag}: ${JSON.stringify(explainTag(base.web.inputs, after.web.inputs))}`);
    // An input that changed in the working tree marks the tag dirty; a change outside the inputs does not.
    if (expected.api && !what.includes('deploy.json') && !what.includes('tsconfig') && !what.includes('compiler') && !what.includes('locked')) assert.is(after.api.inputs.dirty, true);
    if (!expected.api) assert.is(after.api.inputs.dirty, false);
  });
}

test('isFerryRecord: only dist/ferry/ directly under the owning project', () => {
  const table: [string, string, boolean][] = [
    ['apps/web', 'apps/web/dist/ferry/local/image.json', true],
    ['apps/web', 'apps/web/dist/ferry/prod/image.json', true],
    ['apps/web/', 'apps/web/dist/ferry/local/image.json', true],
    ['apps/web', 'apps/web/dist/main.js', false],
    ['apps/web', 'apps/web/src/dist/ferry/x.json', false],
    ['apps/web', 'apps/webber/dist/ferry/local/image.json', false],
    ['apps/web', 'apps/web/dist/ferryboat.txt', false],
    ['', 'dist/ferry/local/image.json', true],
    ['.', 'dist/ferry/local/image.json', true],
    ['.', 'apps/web/src/main.ts', false],
  ];
  for (const [projectRoot, path, expected] of table) assert.is(isFerryRecord(projectRoot, path), expected, `${projectRoot} ${path}`);
});

test('the environment build args are part of the tag (local vs prod base image)', async () => {
  const prod = await tags('prod');
  assert.is.not(prod.api.tag, base.api.tag);
  assert.equal(explainTag(base.api.inputs, prod.api.inputs), [
    { kind: 'buildArg', name: 'BASE_IMAGE', change: 'changed', before: 'ferry-sandbox/node:20', after: 'node:20-slim' },
  ]);
});

test('lockClosure follows dependencies through nested node_modules as Node resolves them', () => {
  const lock = {
    packages: {
      '': { dependencies: { a: '^1' } },
      'node_modules/a': { version: '1.0.0', dependencies: { b: '^2', c: '^1' } },
      'node_modules/a/node_modules/b': { version: '2.0.0', dependencies: { c: '^1' } },
      'node_modules/b': { version: '1.5.0' },
      'node_modules/c': { version: '1.1.0', optionalDependencies: { missing: '*' } },
      'node_modules/unused': { version: '9.9.9' },
    },
  };
  assert.equal(lockClosure(lock, ['a', 'not-installed']), {
    a: '1.0.0',
    'a/node_modules/b': '2.0.0',
    c: '1.1.0',
    'not-installed': 'unresolved',
  });
});

test('readJsonc reads JSON with comments and trailing commas, and gives undefined for what is not JSON', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-jsonc-'));
  try {
    const cases: [string, unknown][] = [
      ['{ "a": 1 }', { a: 1 }],
      ['// lead\n{ /* inline */ "a": [1, 2,], "b": { "c": "x", }, }\n', { a: [1, 2], b: { c: 'x' } }],
      ['{ "url": "http://example.com/*not a comment*/", "t": "a,}" }', { url: 'http://example.com/*not a comment*/', t: 'a,}' }],
      ['{ "a": "say \\"hi\\" // still a string" }', { a: 'say "hi" // still a string' }],
      ['{ "a": 1 ', undefined],
      ['{ "a": /* never closed }', undefined],
      ['', undefined],
    ];
    cases.forEach(([text, expected], i) => {
      const f = join(dir, `${i}.json`);
      writeFileSync(f, text);
      assert.equal(readJsonc(f), expected, text);
    });
    assert.is(readJsonc(join(dir, 'missing.json')), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a memo keeps the run\'s first tag of an app; without one every call sees the tree as it is', async () => {
  const memo = createContentTagMemo();
  const api = await resolve('api');
  await primeContentTags([api], graph, memo);
  appendFileSync(join(root, 'apps/api/src/main.ts'), '// changed during the run\n');
  try {
    const primed = await computeContentTag(api, graph, memo);
    assert.is(primed.tag, base.api.tag);
    assert.is(await computeContentTag(api, graph, memo), primed);
    // Another environment is another app of the run: computed now, then kept.
    const prod = await computeContentTag(await resolve('api', 'prod'), graph, memo);
    assert.is.not(prod.tag, base.api.tag);
    assert.is.not((await computeContentTag(api, graph)).tag, base.api.tag);
    assert.is(memo.tags.size, 2);
  } finally {
    git(root, 'checkout', '-q', '--', 'apps/api/src/main.ts');
  }
});

test('dockerignoreToGitignore anchors patterns at the context root like Docker', () => {
  assert.equal(dockerignoreToGitignore('# comment\n*.md\n/dist\n./notes/\n!keep.md\n**/*.log\n\n.\n'), ['/*.md', '/dist', '/notes/', '!/keep.md', '/**/*.log']);
});

test('explainTag: partial inputs compare as empty; formatTagChanges reads well', () => {
  const changes = explainTag({ buildArgs: { A: '1' } }, { buildArgs: { A: '2', B: 'x' }, platform: 'linux/arm64', files: [{ path: 'a.ts', sha: '1' }] });
  assert.equal(formatTagChanges(changes), ['file a.ts added', 'buildArg A: 1 -> 2', 'buildArg B added (x)', 'platform: (none) -> linux/arm64']);
});

test('explainTag names the changed file', async () => {
  const after = await withChange(() => appendFileSync(join(root, 'libs/shared/src/index.ts'), '// x\n'));
  const changes = explainTag(base.api.inputs, after.api.inputs);
  assert.is(changes.length, 1);
  assert.is(changes[0].kind, 'file');
  assert.is(changes[0].name, 'libs/shared/src/index.ts');
  assert.is(changes[0].change, 'changed');
});

test('an uncommitted change is dirty; committing the same content keeps the tag and clears dirty', async () => {
  appendFileSync(join(root, 'apps/api/src/main.ts'), '// committed later\n');
  writeFiles(root, { 'apps/api/src/new.ts': 'export const n = 1;\n' });
  try {
    const app = await resolve('api');
    const dirty = await computeContentTag(app, graph);
    assert.is(dirty.inputs.dirty, true);
    assert.is.not(dirty.tag, base.api.tag);
    assert.is((await gitRevision(root)).dirty, true);
    git(root, 'add', '-A');
    const staged = await computeContentTag(app, graph);
    assert.is(staged.tag, dirty.tag);
    assert.is(staged.inputs.dirty, true);
    git(root, 'commit', '-q', '-m', 'api change');
    const committed = await computeContentTag(app, graph);
    assert.is(committed.tag, dirty.tag);
    assert.is(committed.inputs.dirty, false);
    const rev = await gitRevision(root);
    assert.is(rev.dirty, false);
    assert.match(rev.sha, /^[0-9a-f]{40}$/);
    assert.equal(await changedInputsSince(app, graph, 'HEAD~1'), ['apps/api/src/main.ts', 'apps/api/src/new.ts']);
    const web = await resolve('web');
    assert.equal(await changedInputsSince(web, graph, 'HEAD~1'), []);
  } finally {
    git(root, 'reset', '-q', '--hard', 'HEAD~1');
    git(root, 'clean', '-qfd');
  }
});

test('changedInputsSince refuses unknown and hostile revisions', async () => {
  const app = await resolve('api');
  for (const rev of ['no-such-branch', '--output=/tmp/x', 'HEAD;rm -rf /']) {
    try {
      await changedInputsSince(app, graph, rev);
      assert.unreachable(`accepted ${rev}`);
    } catch (e) {
      assert.instance(e, Error);
      assert.match((e as Error).message, /revision/);
    }
  }
});

test('two clones of the same commit give the same tags', async () => {
  const a = cloneWorkspace(root);
  const b = cloneWorkspace(root);
  try {
    // Each clone is its own run: Nx computes each clone's graph.
    const [runA, runB] = [new RunSession({ workspaceRoot: a.root }), new RunSession({ workspaceRoot: b.root })];
    const [ga, gb] = await Promise.all([getProjectGraph(a.root, runA), getProjectGraph(b.root, runB)]);
    const ta = await computeContentTag(await resolveApp(a.root, 'api', undefined, runA), ga);
    const tb = await computeContentTag(await resolveApp(b.root, 'api', undefined, runB), gb);
    assert.is(ta.tag, tb.tag);
    assert.is(ta.tag, base.api.tag);
    assert.is(ta.inputs.dirty, false);
    assert.equal(ta.inputs, tb.inputs);
    // Line endings: the same uncommitted file, CRLF in a checkout with core.autocrlf and LF in
    // another, is hashed as git would commit it, so both give one tag.
    git(a.root, 'config', 'core.autocrlf', 'true');
    writeFiles(a.root, { 'apps/api/src/new.ts': 'export const a = 1;\r\nexport const b = 2;\r\n' });
    writeFiles(b.root, { 'apps/api/src/new.ts': 'export const a = 1;\nexport const b = 2;\n' });
    const da = await computeContentTag(await resolveApp(a.root, 'api', undefined, runA), ga);
    const db = await computeContentTag(await resolveApp(b.root, 'api', undefined, runB), gb);
    assert.is(da.inputs.dirty, true);
    assert.is(da.tag, db.tag);
    assert.is.not(da.tag, ta.tag);
  } finally {
    a.cleanup();
    b.cleanup();
  }
});

test.run();
