/**
 * Temporary Nx workspaces with real git, for tests of anything that reads the project graph or
 * computes content tags. The repository's node_modules is symlinked in, so Nx runs for real.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../../..');

/** Runs git in `dir` with a fixed identity; returns stdout. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'ferry-test', GIT_AUTHOR_EMAIL: 'test@ferry.invalid', GIT_COMMITTER_NAME: 'ferry-test', GIT_COMMITTER_EMAIL: 'test@ferry.invalid' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Writes files (path -> content; objects are written as JSON) under `root`. */
export function writeFiles(root: string, files: Record<string, string | object>): void {
  for (const [path, content] of Object.entries(files)) {
    const abs = join(root, path);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/**
 * The fixture: apps/api (imports @fx/shared and chalk; Dockerfile COPYs its own folder, a
 * .dockerignore drops *.md and notes/), apps/web (a `build` target bundling it; .dockerignore keeps
 * only dist/, like the sample apps), libs/shared, libs/other, docs/, tools/bundle.mjs.
 */
export function fixtureFiles(): Record<string, string | object> {
  return {
    'nx.json': {
      namedInputs: {
        default: ['{projectRoot}/**/*', 'sharedGlobals'],
        production: ['default', '!{projectRoot}/**/*.test.ts', '!{projectRoot}/deploy.json'],
        sharedGlobals: ['{workspaceRoot}/tsconfig.base.json'],
      },
      plugins: [{ plugin: '@nx/js', options: { analyzeSourceFiles: true } }],
      pluginsConfig: { '@nx/js': { analyzeSourceFiles: true } },
    },
    'tsconfig.base.json': {
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        baseUrl: '.',
        paths: { '@fx/shared': ['libs/shared/src/index.ts'], '@fx/other': ['libs/other/src/index.ts'] },
      },
    },
    'package.json': { name: 'fx', private: true, type: 'module', dependencies: { chalk: '5.6.2' } },
    'package-lock.json': {
      name: 'fx',
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: 'fx', dependencies: { chalk: '5.6.2' } }, 'node_modules/chalk': { version: '5.6.2' } },
    },
    '.gitignore': 'node_modules\n.nx\ndist\n',
    'ferry.json': {
      defaultEnvironment: 'local',
      environments: {
        local: { kind: 'sandbox', region: 'us-east-1', cluster: 'fx-local', buildArgs: { BASE_IMAGE: 'ferry-sandbox/node:20' } },
        prod: { kind: 'aws', region: 'eu-west-1', cluster: 'fx-prod', buildArgs: { BASE_IMAGE: 'node:20-slim' } },
      },
    },
    'docs/readme.md': '# fixture\n',
    'apps/api/project.json': { name: 'api', root: 'apps/api', projectType: 'application' },
    'apps/api/deploy.json': { containerPort: 3000, healthCheckPath: '/health', buildArgs: { APP: 'api' }, environments: { prod: { desiredCount: 3, environment: { LOG_LEVEL: 'warn' } } }, environment: { LOG_LEVEL: 'info', REGION: 'eu' } },
    'apps/api/Dockerfile': 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY . /app\nCMD ["node", "/app/src/main.js"]\n',
    'apps/api/.dockerignore': '*.md\nnotes/\n',
    'apps/api/README.md': 'api readme\n',
    'apps/api/notes/todo.txt': 'later\n',
    'apps/api/src/main.ts': "import { greet } from '@fx/shared';\nimport chalk from 'chalk';\nconsole.log(chalk.green(greet('api')));\n",
    'apps/web/project.json': {
      name: 'web',
      root: 'apps/web',
      projectType: 'application',
      targets: {
        build: {
          executor: 'nx:run-commands',
          options: { command: 'node tools/bundle.mjs apps/web' },
          inputs: ['production', '^production', '{workspaceRoot}/tools/bundle.mjs'],
          outputs: ['{projectRoot}/dist'],
        },
      },
    },
    'apps/web/deploy.json': { containerPort: 8080 },
    'apps/web/Dockerfile': 'FROM scratch\nCOPY dist/ /app/\n',
    'apps/web/.dockerignore': '*\n!dist/\n',
    'apps/web/src/main.ts': "console.log('web');\n",
    'apps/web/src/main.test.ts': "console.log('test');\n",
    'libs/shared/project.json': { name: 'shared', root: 'libs/shared', projectType: 'library' },
    'libs/shared/src/index.ts': "export const greet = (who: string) => `hello ${who}`;\n",
    'libs/other/project.json': { name: 'other', root: 'libs/other', projectType: 'library' },
    'libs/other/src/index.ts': 'export const other = 1;\n',
    'tools/bundle.mjs': '// bundles an app\n',
  };
}

/** A fresh committed fixture workspace; call `cleanup()` when done. */
export function createFixtureWorkspace(extra: Record<string, string | object> = {}): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ferry-ws-'));
  writeFiles(root, { ...fixtureFiles(), ...extra });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'commit.gpgsign', 'false');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'fixture');
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The repository's own tree at `commit` (from git history, so it never moves) as a fresh committed
 * workspace, node_modules linked; call `cleanup()`. Throws when the history does not hold the commit.
 */
export function repositoryAt(commit: string): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'ferry-repo-'));
  try {
    const tree = execFileSync('git', ['archive', '--format=tar', commit], { cwd: repoRoot, maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
    execFileSync('tar', ['-x', '-C', root], { input: tree });
  } catch (e) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`Cannot read commit ${commit} from the repository's history (a shallow clone? \`git fetch --unshallow\`): ${(e as Error).message}`);
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  git(root, 'init', '-q', '-b', 'main');
  git(root, 'config', 'commit.gpgsign', 'false');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', `repository at ${commit}`);
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Clones `source` into a new temporary directory (with node_modules linked); call `cleanup()`. */
export function cloneWorkspace(source: string): { root: string; cleanup: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'ferry-clone-'));
  const root = join(parent, 'ws');
  git(parent, 'clone', '-q', source, root);
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { root, cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}
