// Shared by the integration files that drive one temporary git + Nx workspace: git in it, and
// ferry's entry scripts (`scripts/<target>.ts --project=<app> …`) run as child processes, the way
// the Nx executor runs them, with plain CI output.
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from '../tools/sandbox/src/index.ts';

export const repoRoot = new URL('..', import.meta.url).pathname;

export interface ScriptResult {
  code: number;
  out: string;
}

export interface ScriptOptions {
  /** Added to the child's environment (over the runner's own). */
  env?: Record<string, string>;
  /** Sends SIGINT once the output matches (Ctrl-C in a terminal). */
  interruptWhen?: RegExp;
  /** Kills a run that has not ended by then (SIGKILL), so a hung run fails its test instead of the suite. */
  killAfterMs?: number;
}

export class ScriptRunner {
  private graphComputed = false;

  constructor(
    private readonly o: {
      /** The workspace (a git repository). */
      ws: string;
      /** Scratch space: Nx's cache, the docker config. */
      tmp: string;
      /** The project every run acts on (`--project`). */
      project: string;
      /** Runs after the first successful one reuse the project graph it computed (the suite never changes imports). */
      reuseGraph?: boolean;
      /** Added to every run's environment. */
      env?: Record<string, string>;
    },
  ) {}

  git(...args: string[]): string {
    const r = spawnSync('git', ['-c', 'user.email=it@ferry', '-c', 'user.name=ferry-it', ...args], { cwd: this.o.ws, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }

  /**
   * A one-app Nx workspace on the sandbox, as a git repository: package files, ferry.json with a
   * `local` sandbox environment on `cluster`, the app's project.json and a Dockerfile that runs its
   * `server.js` on the sandbox's base image. The first commit is the caller's.
   */
  scaffold(name: string, sb: Pick<Sandbox, 'endpoint' | 'registryHost' | 'baseImage'>, cluster: string): void {
    const { ws, tmp, project } = this.o;
    mkdirSync(join(ws, 'apps', project), { recursive: true });
    mkdirSync(join(tmp, 'docker-config'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(ws, 'node_modules'));
    const env = { kind: 'sandbox', region: 'us-east-1', cluster, endpoint: sb.endpoint, registry: sb.registryHost, buildArgs: { BASE_IMAGE: sb.baseImage } };
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name, private: true, type: 'module' }));
    writeFileSync(join(ws, 'nx.json'), JSON.stringify({ plugins: [] }));
    writeFileSync(join(ws, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: {} }));
    writeFileSync(join(ws, 'ferry.json'), JSON.stringify({ defaultEnvironment: 'local', environments: { local: env } }, null, 2));
    writeFileSync(join(ws, '.gitignore'), 'node_modules\ndist/\n.nx/\n');
    writeFileSync(join(ws, 'apps', project, 'project.json'), JSON.stringify({ name: project, projectType: 'application', sourceRoot: `apps/${project}` }));
    writeFileSync(join(ws, 'apps', project, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY server.js /app/server.js\nCMD ["node", "/app/server.js"]\n');
    this.git('init', '-q', '-b', 'main', '.');
  }

  /** Writes the files (workspace-relative) and commits everything. */
  commit(files: Record<string, string>, message: string): void {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(this.o.ws, path), text);
    this.git('add', '-A');
    this.git('commit', '-qm', message);
  }

  /** `scripts/<name>.ts --project=<project> …args`; resolves with the exit code (128 + 2 after a signal) and all output. */
  run(name: string, args: readonly string[] = [], opts: ScriptOptions = {}): Promise<ScriptResult> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', `${name}.ts`), `--project=${this.o.project}`, ...args], {
        cwd: this.o.ws,
        env: {
          ...process.env,
          NX_DAEMON: 'false',
          NX_CACHE_DIRECTORY: join(this.o.tmp, 'nx-cache'),
          TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'),
          NODE_NO_WARNINGS: '1',
          FORCE_COLOR: '0',
          NO_COLOR: '1',
          CI: '1',
          DOCKER_CONFIG: join(this.o.tmp, 'docker-config'),
          // As when Nx runs the target: the project graph the first run computed is read, not recomputed.
          ...(this.o.reuseGraph && this.graphComputed ? { NX_TASK_TARGET_PROJECT: this.o.project } : {}),
          ...this.o.env,
          ...opts.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let sent = false;
      const onData = (d: Buffer) => {
        out += d;
        if (opts.interruptWhen && !sent && opts.interruptWhen.test(out)) {
          sent = true;
          child.kill('SIGINT');
        }
      };
      const killer = opts.killAfterMs ? setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs) : undefined;
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('close', (code, signal) => {
        clearTimeout(killer);
        const exit = code ?? (signal ? 128 + 2 : 1);
        this.graphComputed ||= exit === 0;
        resolve({ code: exit, out });
      });
    });
  }

  /** `run`, asserting exit code 0; resolves with the output. */
  async must(name: string, ...args: string[]): Promise<string> {
    const r = await this.run(name, args);
    assert.is(r.code, 0, `${name} ${args.join(' ')} exited ${r.code}:\n${r.out}`);
    return r.out;
  }

  /** build-image then push; resolves with the content tag build-image reported. */
  async buildAndPush(): Promise<string> {
    const out = await this.must('build-image');
    await this.must('push');
    const tag = /content tag (ft-[0-9a-f]+)/.exec(out)?.[1] ?? /:(ft-[0-9a-f]+)/.exec(out)?.[1];
    assert.ok(tag, `no content tag in build-image output:\n${out}`);
    return tag!;
  }
}
