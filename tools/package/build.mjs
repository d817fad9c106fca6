#!/usr/bin/env node
/**
 * Builds the npm package `@ferry/nx` from this repository's typed sources and packs it:
 *
 *   node tools/package/build.mjs            -> dist/package/stage/ (the package) and dist/package/ferry-nx-<version>.tgz
 *   node tools/package/build.mjs --no-pack  -> only the staged folder
 *   node tools/package/build.mjs --out <dir> -> <dir>/stage/ and <dir>/ferry-nx-<version>.tgz (two
 *                                               builds at once, e.g. test suites, each with its own)
 *
 * The sources stay the truth; the package is plain JavaScript (no tsx or TypeScript needed where
 * it is installed) with every runtime dependency bundled in, so it installs without the network.
 * Only `nx` and `@nx/devkit` come from the adopting workspace (peer dependencies: the plugin,
 * executor and generators must use the workspace's own Nx).
 *
 * Layout of the package (paths the code finds relative to its own files):
 *   package.json          main: dist/plugin.cjs (Nx plugin), executors, generators, bin ferry
 *   dist/plugin.cjs       tools/nx-plugin/src/index.ts           (CommonJS: Nx requires plugins)
 *   dist/executor.cjs     tools/nx-plugin/src/executor.ts        (runs dist/<target>.mjs)
 *   dist/init.cjs, app.cjs, import.cjs  tools/nx-plugin/src/generators/*.ts
 *   dist/<target>.mjs     scripts/<target>.ts (ESM, shared code in dist/chunk-*.mjs)
 *   dist/sandbox.mjs      tools/sandbox/src/cli.ts; dist/ferry.mjs the `ferry` bin
 *   schema/*.json         libs/ferry/core/schema (config.ts reads ../schema from dist/)
 *   engine.sh             tools/sandbox/engine.sh (docker.ts reads ../engine.sh from dist/)
 *   models/               libs/ferry/core/models: AWS's models (ECS, ECR, Application Auto Scaling, ELBv2) with their licence (model-validation.ts reads ../models from dist/)
 *   nx/*.schema.json      executor and generator option schemas
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_NAME = '@ferry/nx';
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const outAt = process.argv.indexOf('--out');
const out = outAt > 0 && process.argv[outAt + 1] ? resolve(process.argv[outAt + 1]) : join(repo, 'dist', 'package');
const stage = join(out, 'stage');
// Every entry script is a target the plugin infers (scripts/<target>.ts): a new one is packaged too.
const TARGETS = readdirSync(join(repo, 'scripts'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

const rootPkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
// The Nx majors the plugin is tested with (test/adoption.test.ts installs each): the plugin's own
// manifest is the one place that says so.
const pluginPkg = JSON.parse(readFileSync(join(repo, 'tools/nx-plugin/package.json'), 'utf8'));

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  tsconfig: join(repo, 'tsconfig.json'),
  define: { FERRY_PACKAGE_NAME: JSON.stringify(PACKAGE_NAME) },
  logLevel: 'warning',
  legalComments: 'none',
  // Optional native parts of ssh2 (pulled in by dockerode; the sandbox talks to a local socket).
  external: ['cpu-features', '*.node'],
};

async function buildAll() {
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'dist'), { recursive: true });

  // Nx loads plugins, executors and generators with require(): CommonJS, Nx itself external.
  await build({
    ...common,
    entryPoints: {
      plugin: join(repo, 'tools/nx-plugin/src/index.ts'),
      executor: join(repo, 'tools/nx-plugin/src/executor.ts'),
      batch: join(repo, 'tools/nx-plugin/src/batch.ts'),
      init: join(repo, 'tools/nx-plugin/src/generators/init.ts'),
      app: join(repo, 'tools/nx-plugin/src/generators/app.ts'),
      import: join(repo, 'tools/nx-plugin/src/generators/import.ts'),
    },
    outdir: join(stage, 'dist'),
    outExtension: { '.js': '.cjs' },
    format: 'cjs',
    // jsonc-parser's `main` is a UMD build whose require('./impl/…') esbuild cannot follow; its ESM
    // build bundles cleanly.
    mainFields: ['module', 'main'],
    external: [...common.external, 'nx', 'nx/*', '@nx/devkit', '@nx/devkit/*'],
    // The import generator bundles ferry's libraries, which find the schemas and AWS models next to
    // their own file (import.meta.url): CommonJS has no import.meta, so it is this file's URL (dist/,
    // where the ESM chunks that read them live too).
    define: { ...common.define, 'import.meta.url': '__ferryImportMetaUrl' },
    banner: { js: "const __ferryImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  });

  // The scripts, the sandbox and the bin: ESM with shared chunks; CommonJS dependencies inside
  // need require/__dirname, which ESM lacks. Nx is the workspace's: graph.ts loads @nx/devkit from
  // the workspace root at run time, and it must never be inlined here (a second Nx in the batch worker).
  const entryPoints = Object.fromEntries(TARGETS.map((t) => [t, join(repo, 'scripts', `${t}.ts`)]));
  entryPoints.sandbox = join(repo, 'tools/sandbox/src/cli.ts');
  entryPoints.ferry = join(repo, 'tools/package/src/ferry.ts');
  await build({
    ...common,
    entryPoints,
    outdir: join(stage, 'dist'),
    outExtension: { '.js': '.mjs' },
    format: 'esm',
    splitting: true,
    chunkNames: 'chunk-[hash]',
    external: [...common.external, 'nx', 'nx/*', '@nx/devkit', '@nx/devkit/*'],
    banner: {
      js: [
        "import { createRequire as __ferryCreateRequire } from 'node:module';",
        "import { fileURLToPath as __ferryFileURLToPath } from 'node:url';",
        "import { dirname as __ferryDirname } from 'node:path';",
        'const require = __ferryCreateRequire(import.meta.url);',
        'const __filename = __ferryFileURLToPath(import.meta.url);',
        'const __dirname = __ferryDirname(__filename);',
      ].join('\n'),
    },
  });
  const bin = join(stage, 'dist', 'ferry.mjs');
  writeFileSync(bin, `#!/usr/bin/env node\n${readFileSync(bin, 'utf8')}`);
  chmodSync(bin, 0o755);

  mkdirSync(join(stage, 'schema'));
  for (const f of readdirSync(join(repo, 'libs/ferry/core/schema'))) copyFileSync(join(repo, 'libs/ferry/core/schema', f), join(stage, 'schema', f));
  copyFileSync(join(repo, 'tools/sandbox/engine.sh'), join(stage, 'engine.sh'));
  chmodSync(join(stage, 'engine.sh'), 0o755);
  mkdirSync(join(stage, 'models'));
  // Every vendored model (ECS, ECR, Application Auto Scaling, ELBv2, …) with its licence and notice.
  for (const f of readdirSync(join(repo, 'libs/ferry/core/models')).filter((f) => f.endsWith('.json') || ['LICENSE.txt', 'NOTICE', 'README.md'].includes(f))) copyFileSync(join(repo, 'libs/ferry/core/models', f), join(stage, 'models', f));
  mkdirSync(join(stage, 'nx'));
  copyFileSync(join(repo, 'tools/nx-plugin/src/executor.schema.json'), join(stage, 'nx', 'executor.schema.json'));
  copyFileSync(join(repo, 'tools/nx-plugin/src/generators/init.schema.json'), join(stage, 'nx', 'init.schema.json'));
  copyFileSync(join(repo, 'tools/nx-plugin/src/generators/app.schema.json'), join(stage, 'nx', 'app.schema.json'));
  copyFileSync(join(repo, 'tools/nx-plugin/src/generators/import.schema.json'), join(stage, 'nx', 'import.schema.json'));
  copyFileSync(join(repo, 'tools/package/README.md'), join(stage, 'README.md'));

  const json = (file, value) => writeFileSync(join(stage, file), `${JSON.stringify(value, null, 2)}\n`);
  json('executors.json', {
    executors: {
      script: {
        implementation: './dist/executor.cjs',
        batchImplementation: './dist/batch.cjs',
        preferBatch: true,
        schema: './nx/executor.schema.json',
        description: "Run one of ferry's bundled target scripts for the project, forwarding options as flags.",
      },
    },
  });
  json('generators.json', {
    generators: {
      init: { factory: './dist/init.cjs', schema: './nx/init.schema.json', description: "Register ferry's Nx plugin and write ferry.json with a local sandbox environment." },
      app: { factory: './dist/app.cjs', schema: './nx/app.schema.json', description: "Write a project's deploy.json from its Dockerfile and sources." },
      import: { factory: './dist/import.cjs', schema: './nx/import.schema.json', description: "Write a project's deploy.json (and with --template its task definition template) from a live ECS service, so the first deploy is a no-op." },
    },
  });
  json('package.json', {
    name: PACKAGE_NAME,
    version: rootPkg.version,
    description: 'ferry: deploy the apps of an Nx workspace as container images to AWS ECR and ECS, with a local sandbox.',
    license: 'UNLICENSED',
    main: './dist/plugin.cjs',
    exports: { '.': './dist/plugin.cjs', './package.json': './package.json', './schema/*': './schema/*' },
    bin: { ferry: './dist/ferry.mjs' },
    executors: './executors.json',
    generators: './generators.json',
    engines: rootPkg.engines,
    peerDependencies: pluginPkg.peerDependencies,
    files: ['dist', 'schema', 'nx', 'engine.sh', 'models', 'executors.json', 'generators.json', 'README.md'],
  });
}

await buildAll();
if (!process.argv.includes('--no-pack')) {
  for (const f of readdirSync(out)) if (f.endsWith('.tgz')) rmSync(join(out, f));
  const packed = execFileSync('npm', ['pack', '--silent', '--pack-destination', out], { cwd: stage, encoding: 'utf8' }).trim().split('\n').pop();
  console.log(join(out, packed));
} else {
  console.log(stage);
}
