import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EcsServicesPort, SandboxContext, SandboxService } from './context.ts';
import { Control, type FaultSpec, type Stats } from './control.ts';
import { BASE_IMAGE, ensureBaseImage } from './base-image.ts';
import { ensureEngine } from './docker.ts';
import { consoleView } from './console/view.ts';
import { createEcrService, type EcrService, type PushGuard } from './ecr/index.ts';
import { parseRegistryAccounts, routeByRegistry, type ExtraRegistry } from './ecr/registries.ts';
import { listRepositoryImages } from './ecr/images.ts';
import { openEcrState } from './ecr/store.ts';
import { initialEcsState, type EcsState } from './ecs/model.ts';
import { RegistryClient } from './registry/client.ts';
import { ensureCredentials, registryFiles, REGISTRY_USER, startRegistry } from './registry/process.ts';
import { startRegistryProxy } from './registry/proxy.ts';
import { createLogsService, type LogsState } from './logs/index.ts';
import { createAutoScalingService } from './autoscaling/index.ts';
import { createElbv2Service } from './elbv2/index.ts';
import { startApiServer } from './server.ts';
import { stateFactory } from './state.ts';

/** Options of {@link startSandbox}. Every field has a default; tests pass `port: 0, registryPort: 0` and a temp `dataDir`. */
export interface SandboxOptions {
  /** Data directory (state, registry storage, credentials). Default `FERRY_SANDBOX_DIR` or `<cwd>/.sandbox`. */
  dataDir?: string;
  /** API port; 0 picks a free one. Default `FERRY_SANDBOX_PORT` or 4566. */
  port?: number;
  /** Public registry port (the counting proxy); 0 picks a free one. Default `FERRY_SANDBOX_REGISTRY_PORT` or 5000. */
  registryPort?: number;
  region?: string;
  accountId?: string;
  /** Ensure the Docker engine is running (engine.sh). Default true. */
  ensureEngine?: boolean;
  /** Build the base image when missing. Default true. */
  ensureBaseImage?: boolean;
  /** Serve ECS through src/ecs/index.ts when it exists. Default true. */
  ecs?: boolean;
  /**
   * More accounts whose ECR registries the sandbox hosts (each its own registry and port; requests
   * name them by `registryId`). Default: `FERRY_SANDBOX_REGISTRY_ACCOUNTS` (ecr/registries.ts).
   */
  registryAccounts?: ExtraRegistry[];
  /** How often lifecycle policies are applied. Default 30 s. */
  lifecycleIntervalMs?: number;
  log?: (message: string) => void;
}

/** A running sandbox (in this process). */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: pass as the SDK client's `endpoint` (or AWS_ENDPOINT_URL). */
  endpoint: string;
  /** `127.0.0.1:<port>`: the registry for docker login/push and repositoryUri. */
  registryHost: string;
  /** Every hosted registry by account id (the own account's is `registryHost`). */
  registries: Record<string, string>;
  dataDir: string;
  baseImage: string;
  ctx: SandboxContext;
  /** Whether the ECS API is served (the ECS part exists and loaded). */
  ecsEnabled: boolean;
  stats(): Stats;
  resetStats(): void;
  setFaults(spec: FaultSpec): void;
  clearFaults(): void;
  /** Applies ECR lifecycle policies now; resolves to the number of images expired. */
  applyLifecyclePolicies(): Promise<number>;
  /** Stops everything this call started; `removeTasks` also removes the ECS part's task containers. */
  stop(opts?: { removeTasks?: boolean }): Promise<void>;
  /** Called when a client POSTs `/_sandbox/shutdown` (the CLI's `down`); the owner then calls stop(). */
  onShutdownRequest(cb: () => void): void;
}

export const DEFAULT_PORT = 4566;
export const DEFAULT_REGISTRY_PORT = 5000;

export function defaultDataDir(): string {
  return resolve(process.env.FERRY_SANDBOX_DIR ?? join(process.cwd(), '.sandbox'));
}

function envPort(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name}='${v}' is not a port number`);
  return n;
}

export function resolvePorts(opts: Pick<SandboxOptions, 'port' | 'registryPort'>): { port: number; registryPort: number } {
  return {
    port: opts.port ?? envPort('FERRY_SANDBOX_PORT', DEFAULT_PORT),
    registryPort: opts.registryPort ?? envPort('FERRY_SANDBOX_REGISTRY_PORT', DEFAULT_REGISTRY_PORT),
  };
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Stable per data directory, so `down` and a restarted sandbox find the containers of earlier runs. */
function instanceId(dataDir: string): string {
  const file = join(dataDir, 'instance-id');
  if (!existsSync(file)) writeFileSync(file, randomBytes(6).toString('hex'));
  return readFileSync(file, 'utf8').trim();
}

type EcsFactory = (ctx: SandboxContext) => SandboxService & { services?: EcsServicesPort };

/** Loads the ECS part if it exists (it is written separately); undefined when absent. */
async function loadEcs(log: (m: string) => void): Promise<EcsFactory | undefined> {
  const url = new URL('./ecs/index.ts', import.meta.url);
  // Bundled (the npm package), the ECS part is inside the bundle: import it by its literal path so the
  // bundler includes it. From the sources it may be absent while it is being written.
  const bundled = !import.meta.url.endsWith('.ts');
  if (!bundled && !existsSync(fileURLToPath(url))) {
    log('ECS part not present (tools/sandbox/src/ecs/index.ts): ECS operations answer UnknownOperationException');
    return undefined;
  }
  const mod = (bundled ? await import('./ecs/index.ts') : await import(url.href)) as { createEcsService?: EcsFactory };
  if (typeof mod.createEcsService !== 'function') throw new Error('tools/sandbox/src/ecs/index.ts does not export createEcsService(ctx)');
  return mod.createEcsService;
}

/**
 * One account's ECR: its registry process (storage and credentials under `<dataDir>/registry`),
 * the counting proxy on `port` that enforces ECR's push rules, and the ECR part over them (state
 * under `<dataDir>/state`).
 */
async function startAccountEcr(o: {
  accountId: string;
  region: string;
  dataDir: string;
  port: number;
  control: Control;
  baseImage: string;
  containerLabel: SandboxContext['containerLabel'];
  lifecycleIntervalMs?: number;
  log: (m: string) => void;
}): Promise<{ ctx: SandboxContext; ecr: EcrService; registryHost: string; registryClient: RegistryClient; stop: () => Promise<void> }> {
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => o.log(`cleanup: ${(e as Error).message}`));
  };
  try {
    const files = registryFiles(o.dataDir);
    const { password, secret } = ensureCredentials(files);
    const registryAuth = { username: REGISTRY_USER, password };
    const registry = await startRegistry(files, await freePort(), secret);
    stops.push(() => registry.stop());
    let ecr: EcrService | undefined;
    const guard: PushGuard = {
      checkRepository: (n) => ecr?.checkRepository(n),
      checkTagPush: async (n, t, d) => ecr?.checkTagPush(n, t, d),
      pushed: (n, d) => ecr?.pushed(n, d),
    };
    const proxy = await startRegistryProxy({ port: o.port, upstreamPort: registry.port, control: o.control, guard });
    stops.push(() => proxy.stop());
    const registryHost = `127.0.0.1:${proxy.port}`;
    const ctx: SandboxContext = {
      dataDir: o.dataDir,
      region: o.region,
      accountId: o.accountId,
      registryHost,
      registryAuth,
      baseImage: o.baseImage,
      state: stateFactory(o.dataDir),
      containerLabel: o.containerLabel,
      log: o.log,
    };
    const registryClient = new RegistryClient(registry.port, registryAuth, files.storageDir);
    ecr = createEcrService(ctx, registryClient, { lifecycleIntervalMs: o.lifecycleIntervalMs });
    await ecr.start();
    const started = ecr;
    stops.push(() => started.stop({ removeTasks: false }));
    return { ctx, ecr, registryHost, registryClient, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Starts the sandbox in this process: the registry (real docker-registry behind a counting proxy),
 * the ECR API, the ECS API when present, and the HTTP endpoint. Undoes what it started if a step fails.
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[sandbox ${new Date().toISOString()}] ${m}\n`));
  const dataDir = resolve(opts.dataDir ?? defaultDataDir());
  mkdirSync(dataDir, { recursive: true });
  const { port, registryPort } = resolvePorts(opts);
  const cleanups: Array<() => Promise<void>> = [];
  const undo = async () => {
    for (const c of cleanups.reverse()) await c().catch((e) => log(`cleanup: ${(e as Error).message}`));
  };
  try {
    if (opts.ensureEngine !== false) await ensureEngine();
    const baseImage = opts.ensureBaseImage !== false ? await ensureBaseImage({ log }) : BASE_IMAGE;

    const control = new Control();
    const accountId = opts.accountId ?? '000000000000';
    const region = opts.region ?? 'us-east-1';
    const base = { region, baseImage, containerLabel: { key: 'ferry.sandbox', value: instanceId(dataDir) }, log };
    // The sandbox's own account keeps the data directory's top level (registry/, state/); each
    // extra account has its own under accounts/<id>/ (ecr/registries.ts).
    const own = await startAccountEcr({ ...base, accountId, dataDir, port: registryPort, control, lifecycleIntervalMs: opts.lifecycleIntervalMs });
    cleanups.push(own.stop);
    const registryHost = own.registryHost;
    const ctx = own.ctx;
    const ecrParts = new Map<string, EcrService>([[accountId, own.ecr]]);
    const registries = [{ accountId, host: own.registryHost, auth: own.ctx.registryAuth }];
    const extra = opts.registryAccounts ?? parseRegistryAccounts(process.env.FERRY_SANDBOX_REGISTRY_ACCOUNTS, registryPort, accountId);
    for (const r of extra) {
      const dir = join(dataDir, 'accounts', r.accountId);
      mkdirSync(dir, { recursive: true });
      const part = await startAccountEcr({ ...base, accountId: r.accountId, dataDir: dir, port: r.port, control, lifecycleIntervalMs: opts.lifecycleIntervalMs });
      cleanups.push(part.stop);
      ecrParts.set(r.accountId, part.ecr);
      registries.push({ accountId: r.accountId, host: part.registryHost, auth: part.ctx.registryAuth });
    }
    ctx.registries = registries;
    const ecr = routeByRegistry(accountId, ecrParts);
    const registryClient = own.registryClient;

    const logs = createLogsService(ctx);
    ctx.logs = logs.sink;
    await logs.start();
    cleanups.push(() => logs.stop({ removeTasks: false }));

    const autoscaling = createAutoScalingService(ctx);
    await autoscaling.start();
    cleanups.push(() => autoscaling.stop({ removeTasks: false }));
    const elbv2 = createElbv2Service(ctx);
    ctx.elb = elbv2.port;
    await elbv2.start();
    cleanups.push(() => elbv2.stop({ removeTasks: false }));

    const factory = opts.ecs === false ? undefined : await loadEcs(log);
    const ecs = factory?.(ctx);
    // Application Auto Scaling asks it whether an ECS service exists (RegisterScalableTarget).
    if (ecs?.services) ctx.ecsServices = ecs.services;
    let removeTasksOnStop = false;
    if (ecs) {
      await ecs.start();
      cleanups.push(() => ecs.stop({ removeTasks: removeTasksOnStop }));
    }

    let endpoint = '';
    const startedAt = Date.now();
    const api = await startApiServer({
      host: '127.0.0.1',
      port,
      control,
      services: { ecs, ecr, logs, autoscaling, elbv2 },
      accountId: ctx.accountId,
      log,
      health: () => ({ ecs: !!ecs, ecr: true, registry: registryHost, uptimeSeconds: Math.round((Date.now() - startedAt) / 1000), pid: process.pid }),
      info: () => ({
        endpoint,
        region: ctx.region,
        accountId: ctx.accountId,
        registryHost,
        registries: Object.fromEntries(registries.map((r) => [r.accountId, r.host])),
        baseImage,
        dataDir,
        containerLabel: `${ctx.containerLabel.key}=${ctx.containerLabel.value}`,
        env: sandboxEnv(endpoint, ctx.region),
        ecr: ecr.info?.(),
        ecs: ecs ? (ecs.info?.() ?? {}) : null,
        elbv2: elbv2.info?.(),
      }),
      // The parts' stores are shared by name (stateFactory), so this reads their live in-memory state.
      consoleState: () =>
        consoleView({
          now: Date.now(),
          ecs: ecs ? ctx.state<EcsState>('ecs', initialEcsState()).get() : undefined,
          logs: ctx.state<LogsState>('logs', { groups: {} }).get(),
          repositories: Object.values(openEcrState(ctx).get().repositories).map((r) => ({
            name: r.repositoryName,
            uri: `${registryHost}/${r.repositoryName}`,
            images: listRepositoryImages(registryClient, r),
          })),
        }),
      onShutdown: ({ removeTasks }) => {
        removeTasksOnStop = removeTasks;
        shutdownRequested?.();
      },
    });
    cleanups.push(() => api.stop());
    endpoint = `http://127.0.0.1:${api.port}`;
    log(`sandbox up: API ${endpoint}, registry ${registryHost}, data ${dataDir}${ecs ? '' : ' (no ECS part)'}`);

    let shutdownRequested: (() => void) | undefined;
    let stopped: Promise<void> | undefined;
    const sandbox: Sandbox = {
      endpoint,
      registryHost,
      registries: Object.fromEntries(registries.map((r) => [r.accountId, r.host])),
      dataDir,
      baseImage,
      ctx,
      ecsEnabled: !!ecs,
      stats: () => control.stats(),
      resetStats: () => control.resetStats(),
      setFaults: (spec) => control.setFaults(spec),
      clearFaults: () => control.clearFaults(),
      applyLifecyclePolicies: async () => {
        let n = 0;
        for (const part of ecrParts.values()) n += await part.applyLifecyclePolicies();
        return n;
      },
      stop(stopOpts = {}) {
        if (stopOpts.removeTasks) removeTasksOnStop = true;
        stopped ??= undo();
        return stopped;
      },
      onShutdownRequest(cb) {
        shutdownRequested = cb;
      },
    };
    return sandbox;
  } catch (err) {
    await undo();
    throw err;
  }
}

/** The environment a shell needs to point the AWS SDK/CLI at the sandbox (dummy credentials). */
export function sandboxEnv(endpoint: string, region: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'sandbox',
    AWS_SECRET_ACCESS_KEY: 'sandbox',
  };
}
