// Shared by test/reliability-*.test.ts: one sandbox and one temporary git + Nx workspace per file,
// and the real entry scripts run as child processes (as the Nx executor runs them).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, ListTagsForResourceCommand, type Service } from '@aws-sdk/client-ecs';
import { ECRClient } from '@aws-sdk/client-ecr';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

// Fast sandbox timings (docs/sandbox.md); a load-balancer port range of our own.
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

export const repoRoot = new URL('..', import.meta.url).pathname;

export const server = (version: string, opts: { crash?: boolean } = {}) => `const VERSION = ${JSON.stringify(version)};
${opts.crash ? "console.error('boom: cannot start'); process.exit(3);\n" : ''}const http = require('http');
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.end('ok'); return; }
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ ok: true, version: VERSION }));
});
server.listen(Number(process.env.PORT || 8080), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); });
`;

export interface RunResult {
  code: number;
  out: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Called on every chunk of output with the child and everything so far. */
  onOutput?: (out: string, child: ChildProcess) => void;
  project?: string;
}

export class Fixture {
  readonly tmp: string;
  readonly ws: string;
  /** TMPDIR of every child: the secrets scan reads it. */
  readonly childTmp: string;
  sb!: Sandbox;
  ecs!: ECSClient;
  ecr!: ECRClient;
  ports = { api: 0, registry: 0 };
  private graphComputed = false;

  constructor(
    readonly name: string,
    readonly app: string,
    readonly cluster: string,
  ) {
    this.tmp = mkdtempSync(join(tmpdir(), `ferry-${name}-`));
    this.ws = join(this.tmp, 'ws');
    this.childTmp = join(this.tmp, 'child-tmp');
    mkdirSync(this.childTmp, { recursive: true });
  }

  deployJson(over: Record<string, unknown> = {}) {
    return JSON.stringify(
      {
        repository: `${this.cluster}/${this.app}`,
        containerPort: 8080,
        desiredCount: 1,
        healthCheckPath: '/health',
        deployment: { timeoutSeconds: 120, circuitBreaker: { enable: true, rollback: true } },
        keepRevisions: 30,
        ...over,
      },
      null,
      2,
    );
  }

  async start(files: Record<string, string>) {
    await this.startSandbox();
    const { ws, app } = this;
    mkdirSync(join(ws, 'apps', app), { recursive: true });
    mkdirSync(join(this.tmp, 'docker-config'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(ws, 'node_modules'));
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: this.name, private: true, type: 'module' }));
    writeFileSync(join(ws, 'nx.json'), JSON.stringify({ plugins: [] }));
    writeFileSync(join(ws, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: {} }));
    this.writeFerryJson();
    writeFileSync(join(ws, '.gitignore'), 'node_modules\ndist/\n.nx/\n');
    writeFileSync(join(ws, 'apps', app, 'project.json'), JSON.stringify({ name: app, projectType: 'application', sourceRoot: `apps/${app}` }));
    writeFileSync(join(ws, 'apps', app, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nCOPY server.js /app/server.js\nCMD ["node", "/app/server.js"]\n');
    this.git('init', '-q', '-b', 'main', '.');
    this.commit(files, 'v1');
  }

  writeFerryJson(extra: Record<string, unknown> = {}) {
    const env = { kind: 'sandbox', region: 'us-east-1', cluster: this.cluster, endpoint: this.sb.endpoint, registry: this.sb.registryHost, buildArgs: { BASE_IMAGE: this.sb.baseImage }, ...extra };
    writeFileSync(join(this.ws, 'ferry.json'), JSON.stringify({ defaultEnvironment: 'local', environments: { local: env } }, null, 2));
  }

  /** Starts (or restarts, on the same ports and data) the sandbox. */
  async startSandbox() {
    this.sb = await startSandbox({ dataDir: join(this.tmp, 'sandbox'), port: this.ports.api, registryPort: this.ports.registry, log: () => undefined });
    this.ports = { api: Number(new URL(this.sb.endpoint).port), registry: Number(this.sb.registryHost.split(':')[1]) };
    this.ecs = new ECSClient({ endpoint: this.sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    this.ecr = new ECRClient({ endpoint: this.sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  }

  async stop() {
    await this.sb?.stop({ removeTasks: true }).catch(() => undefined);
    if (this.sb) {
      const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => r.startsWith(`${this.sb.registryHost}/`));
      if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
    }
    rmSync(this.tmp, { recursive: true, force: true });
  }

  git(...args: string[]) {
    const r = spawnSync('git', ['-c', 'user.email=it@ferry', '-c', 'user.name=ferry-it', ...args], { cwd: this.ws, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  }

  commit(files: Record<string, string>, message: string) {
    for (const [path, text] of Object.entries(files)) writeFileSync(join(this.ws, path), text);
    this.git('add', '-A');
    this.git('commit', '-qm', message);
  }

  /** Spawns `scripts/<name>.ts --project=<app> …`; does not wait. */
  spawn(name: string, args: string[], o: RunOptions = {}): { child: ChildProcess; done: Promise<RunResult> } {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts', `${name}.ts`), `--project=${o.project ?? this.app}`, ...args], {
      cwd: this.ws,
      env: {
        ...process.env,
        NX_DAEMON: 'false',
        NX_CACHE_DIRECTORY: join(this.tmp, 'nx-cache'),
        TSX_TSCONFIG_PATH: join(repoRoot, 'tsconfig.json'),
        NODE_NO_WARNINGS: '1',
        FORCE_COLOR: '0',
        NO_COLOR: '1',
        CI: '1',
        TMPDIR: this.childTmp,
        DOCKER_CONFIG: join(this.tmp, 'docker-config'),
        FERRY_LOCK_SETTLE_MS: '300',
        ...(this.graphComputed ? { NX_TASK_TARGET_PROJECT: this.app } : {}),
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      o.onOutput?.(out, child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    const done = new Promise<RunResult>((resolve) => {
      child.on('close', (code, signal) => {
        const c = code ?? (signal === 'SIGKILL' ? 137 : signal ? 130 : 1);
        this.graphComputed ||= c === 0;
        resolve({ code: c, out, ms: Date.now() - started });
      });
    });
    return { child, done };
  }

  run(name: string, args: string[] = [], o: RunOptions = {}): Promise<RunResult> {
    return this.spawn(name, args, o).done;
  }

  async must(name: string, args: string[] = [], o: RunOptions = {}): Promise<string> {
    const r = await this.run(name, args, o);
    if (r.code !== 0) throw new Error(`${name} ${args.join(' ')} exited ${r.code}:\n${r.out}`);
    return r.out;
  }

  async buildAndPush(o: RunOptions = {}): Promise<string> {
    const out = await this.must('build-image', [], o);
    await this.must('push', [], o);
    const tag = /(ft-[0-9a-f]{8,})/.exec(out)?.[1];
    if (!tag) throw new Error(`no content tag in build-image output:\n${out}`);
    return tag;
  }

  async describe(): Promise<Service> {
    const r = await this.ecs.send(new DescribeServicesCommand({ cluster: this.cluster, services: [this.app], include: ['TAGS'] }));
    if (!r.services?.[0]) throw new Error(`service missing: ${JSON.stringify(r.failures)}`);
    return r.services[0];
  }

  async liveImage(): Promise<string> {
    const svc = await this.describe();
    const td = await this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }));
    return td.taskDefinition!.containerDefinitions![0].image!;
  }

  async tags(arn: string): Promise<Record<string, string>> {
    const r = await this.ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    return Object.fromEntries((r.tags ?? []).map((t) => [t.key!, t.value!]));
  }

  async lbUrl(): Promise<string> {
    return (await this.describe()).tags!.find((t) => t.key === 'ferry:sandbox-url')!.value!;
  }

  /** Every file under `dir` (recursively) whose bytes contain one of `needles`. */
  static filesContaining(dir: string, needles: string[]): string[] {
    const hits: string[] = [];
    const walk = (d: string) => {
      let entries: string[];
      try {
        entries = readdirSync(d);
      } catch {
        return;
      }
      for (const e of entries) {
        const p = join(d, e);
        let st;
        try {
          st = statSync(p);
        } catch {
          continue;
        }
        if (st.isDirectory()) {
          if (e !== 'node_modules' && e !== '.git') walk(p);
        } else if (st.isFile() && st.size < 20_000_000) {
          const text = readFileSync(p).toString('latin1');
          if (needles.some((n) => n && text.includes(n))) hits.push(p);
        }
      }
    };
    walk(dir);
    return hits;
  }
}

/** A stack trace line in output: what a user must never see for an expected failure. */
export const STACK_LINE = /^\s+at .+\(.+:\d+:\d+\)$|^\s+at .+:\d+:\d+$/m;

/**
 * Requests `url` every 50 ms until `stop()`; a request counts as ok when `accept(status, body)` says
 * so, anything else (other answers, thrown errors, timeouts) is a failure with what was seen.
 */
export function requestLoop(url: string, accept: (status: number, body: string) => boolean) {
  let ok = 0;
  const failures: string[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        const body = await res.text();
        if (accept(res.status, body)) ok++;
        else failures.push(`${res.status} ${body.slice(0, 80)}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    async stop(): Promise<{ ok: number; failures: string[] }> {
      stopped = true;
      await done;
      return { ok, failures };
    },
  };
}
