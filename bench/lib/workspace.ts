/**
 * A generated benchmark workspace: a copy of ferry's tooling (nx.json, .env, tsconfig, tools/nx-plugin,
 * tools/build-app.mjs, libs/ferry, scripts, package files; node_modules symlinked) plus N small HTTP
 * apps sharing two libraries, committed with real git.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the environment `local` of the generated ferry.json points at. */
export interface BenchTarget {
  endpoint: string;
  registry: string;
  baseImage: string;
  cluster: string;
}

export const appName = (i: number): string => `app-${String(i + 1).padStart(2, '0')}`;

/** Runs git in `dir` with a fixed identity; returns stdout. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=bench@ferry.invalid', '-c', 'user.name=ferry-bench', '-c', 'commit.gpgsign=false', ...args], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

function write(root: string, path: string, content: string | object): void {
  const abs = join(root, path);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
}

/** The source of app `name`; `version` is the line a "source-only change" edits. */
export function appSource(name: string, usesB: boolean, version: number): string {
  return `import { createServer } from 'node:http';
import { greet } from '@bench/a';
${usesB ? "import { price } from '@bench/b';\n" : ''}
const VERSION = ${version};
const server = createServer((req, res) => {
  if (req.url === '/health') { res.end('ok'); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: ${JSON.stringify(name)}, version: VERSION, greeting: greet(${JSON.stringify(name)})${usesB ? ', price: price(3)' : ''} }));
});
server.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 300).unref(); });
`;
}

/** Creates the workspace in `root` (must not exist) and commits it. */
export function generateWorkspace(repoRoot: string, root: string, apps: number, target: BenchTarget): string[] {
  mkdirSync(root, { recursive: true });
  const skip = (src: string) => !/\/(node_modules|dist|\.nx)(\/|$)/.test(src);
  // .env: the workspace's Nx settings (plugin isolation off), as a ferry workspace has them.
  for (const path of ['nx.json', '.env', 'tsconfig.json', 'package.json', 'package-lock.json', 'tools/nx-plugin', 'tools/build-app.mjs', 'libs/ferry', 'scripts']) {
    cpSync(join(repoRoot, path), join(root, path), { recursive: true, filter: skip });
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');

  const base = JSON.parse(readFileSync(join(repoRoot, 'tsconfig.base.json'), 'utf8'));
  const paths: Record<string, string[]> = Object.fromEntries(Object.entries(base.compilerOptions.paths as Record<string, string[]>).filter(([k]) => k.startsWith('@ferry/')));
  paths['@bench/a'] = ['libs/bench-a/src/index.ts'];
  paths['@bench/b'] = ['libs/bench-b/src/index.ts'];
  write(root, 'tsconfig.base.json', { ...base, compilerOptions: { ...base.compilerOptions, paths } });
  write(root, '.gitignore', 'node_modules\ndist/\n.nx/\ntmp/\n.ferry/\n');
  write(root, 'ferry.json', {
    defaultEnvironment: 'local',
    environments: { local: { kind: 'sandbox', region: 'us-east-1', cluster: target.cluster, endpoint: target.endpoint, registry: target.registry, buildArgs: { BASE_IMAGE: target.baseImage } } },
  });
  write(root, 'libs/bench-a/project.json', { name: 'bench-a', projectType: 'library', sourceRoot: 'libs/bench-a/src', targets: {} });
  write(root, 'libs/bench-a/src/index.ts', "export const greet = (who: string): string => `hello from ${who}`;\n");
  write(root, 'libs/bench-b/project.json', { name: 'bench-b', projectType: 'library', sourceRoot: 'libs/bench-b/src', targets: {} });
  write(root, 'libs/bench-b/src/index.ts', 'export const price = (n: number): number => n * 1250;\n');

  writeEmptyBatchExecutor(root);

  const names: string[] = [];
  for (let i = 0; i < apps; i++) {
    const name = appName(i);
    names.push(name);
    const dir = `apps/${name}`;
    write(root, `${dir}/project.json`, {
      name,
      projectType: 'application',
      sourceRoot: `${dir}/src`,
      targets: {
        build: {
          executor: 'nx:run-commands',
          options: { command: `node tools/build-app.mjs ${dir} --entry src/main.ts`, cwd: '{workspaceRoot}' },
          cache: true,
          inputs: ['production', '!{projectRoot}/Dockerfile', '!{projectRoot}/.dockerignore', '^production', '{workspaceRoot}/tools/build-app.mjs'],
          outputs: ['{projectRoot}/dist'],
        },
        ...EMPTY_CHAIN_TARGETS,
      },
    });
    write(root, `${dir}/deploy.json`, {
      repository: `bench/${name}`,
      containerPort: 3000,
      desiredCount: 1,
      healthCheckPath: '/health',
      smoke: { checks: [{ name: 'version', path: '/', jsonEquals: { app: name }, maxLatencyMs: 5000 }] },
      deployment: { minimumHealthyPercent: 100, maximumPercent: 200, circuitBreaker: { enable: true, rollback: true }, timeoutSeconds: 300 },
      keepRevisions: 5,
    });
    write(root, `${dir}/Dockerfile`, 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nWORKDIR /app\nCOPY dist/ /app/\nENV PORT=3000\nUSER 1000\nCMD ["node", "/app/main.js"]\n');
    write(root, `${dir}/.dockerignore`, '*\n!dist/\ndist/ferry/\n');
    write(root, `${dir}/src/main.ts`, appSource(name, i % 2 === 1, 1));
  }
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', `bench workspace: ${apps} apps`);
  return names;
}

/**
 * Nx's own part of a batch, measured with nothing of ferry in it: the same six targets per app as
 * `deploy` (EMPTY_CHAIN mirrors the chain build-image -> push -> deploy-app -> health-check ->
 * smoke-test -> deploy, each depending on the one before), run by a batch executor that returns
 * success for every task at once. `nx run-many -t empty-deploy` costs what Nx spends on forking its
 * batch worker, loading its batch runner and handing the task graph over and the results back:
 * the part of a no-op deploy beyond `run-many -t build` that no batch executor can avoid.
 */
export const EMPTY_CHAIN = ['empty-build-image', 'empty-push', 'empty-deploy-app', 'empty-health-check', 'empty-smoke-test', 'empty-deploy'] as const;

const EMPTY_CHAIN_TARGETS = Object.fromEntries(
  EMPTY_CHAIN.map((t, i) => [t, { executor: './tools/empty-batch:empty', cache: false, ...(i ? { dependsOn: [EMPTY_CHAIN[i - 1]] } : {}) }]),
);

function writeEmptyBatchExecutor(root: string): void {
  write(root, 'tools/empty-batch/package.json', { name: 'empty-batch', private: true, executors: './executors.json' });
  write(root, 'tools/empty-batch/executors.json', {
    executors: { empty: { implementation: './impl.cjs', batchImplementation: './batch.cjs', preferBatch: true, schema: './schema.json', description: 'Does nothing (benchmark floor).' } },
  });
  write(root, 'tools/empty-batch/schema.json', { $schema: 'https://json-schema.org/schema', type: 'object', properties: {} });
  write(root, 'tools/empty-batch/impl.cjs', "'use strict';\nmodule.exports = async function empty() { return { success: true }; };\n");
  write(root, 'tools/empty-batch/batch.cjs', "'use strict';\nmodule.exports = async function emptyBatch(taskGraph) {\n  return Object.fromEntries(Object.keys(taskGraph.tasks).map((id) => [id, { success: true, terminalOutput: '' }]));\n};\n");
}
