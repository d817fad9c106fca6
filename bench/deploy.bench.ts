// Deploy benchmark: generates a workspace of N apps, deploys it to a private sandbox, then measures
// a no-op deploy against a naive baseline, one changed app, rollout detection latency, API calls
// per app, content tags and image rebuilds. Results: docs/performance.md.
//
//   npm run bench -- --apps 3,20 [--parallel 3] [--rounds 2] [--changed 1,2,5] [--baseline-parallel 3] [--no-baseline] [--verbose] [--keep]
//
// 50 apps work too (`--apps 50`), allow ~15 minutes on 2 cores.
import { ECSClient, ListServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { computeContentTags, createContentTagMemo, getProjectGraph, resolveApp } from '@ferry/core';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { prepareBaseline, runBaseline, type BaselineAppTiming } from './lib/baseline.ts';
import { median, readProfile, run, sum, type Line, type RunResult, type TaskTiming } from './lib/run.ts';
import { appSource, EMPTY_CHAIN, generateWorkspace, git } from './lib/workspace.ts';

const { values } = parseArgs({
  options: {
    apps: { type: 'string', default: '3,20' },
    parallel: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    'baseline-parallel': { type: 'string', default: '3' },
    'no-baseline': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    changed: { type: 'string', default: '1,2,5' },
    out: { type: 'string' },
  },
});
/** build-image's `build: done — … ready after N.Ns (nx run-many -t build, K apps: M.Ms)` line of an app. */
const bundleLine = (lines: readonly Line[], app: string) => lines.find((x) => x.text.includes(`[${app}]`) && /\bbuild: done — \S+ ready after [\d.]+s/.test(x.text.replace(/\x1b\[[0-9;]*m/g, '')));
/** How long build-image waited for the app's own bundle (after its own checks, which run meanwhile). */
function bundleWaitMs(lines: readonly Line[], app: string): number {
  const l = bundleLine(lines, app);
  return l ? Number(/ready after ([\d.]+)s/.exec(l.text)![1]) * 1000 : 0;
}
/** How long the nested Nx that built the app's bundle ran, its own start-up included. */
function bundleNxMs(lines: readonly Line[], app: string): number {
  const m = /nx run-many -t build, \d+ apps?: ([\d.]+)s/.exec(bundleLine(lines, app)?.text ?? '');
  return m ? Number(m[1]) * 1000 : 0;
}

const sizes = values.apps!.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 99)) throw new Error('--apps: a comma-separated list of app counts between 1 and 99, e.g. --apps 3,20');
const parallel = Number(values.parallel);
const changedCounts = values.changed!.split(',').filter(Boolean).map(Number);
if (changedCounts.some((k) => !Number.isInteger(k) || k < 1)) throw new Error('--changed: a comma-separated list of changed-app counts, e.g. --changed 1,2,5');
const rounds = Math.max(1, Number(values.rounds));
const repoRoot = new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const nxBin = join(repoRoot, 'node_modules/nx/dist/bin/nx.js');
process.env.NX_DAEMON = 'false';

const WRITES = ['RegisterTaskDefinition', 'DeregisterTaskDefinition', 'CreateService', 'UpdateService', 'CreateCluster', 'TagResource', 'UntagResource', 'CreateRepository', 'PutLifecyclePolicy', 'PutImage', 'BatchDeleteImage'];
const log = (m: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The 1-minute load average: the machine is shared, so every measurement carries it. */
const load = () => +loadavg()[0].toFixed(2);

async function machine() {
  const docker = await run('docker', ['version', '--format', '{{.Client.Version}} client / {{.Server.Version}} engine'], { cwd: repoRoot });
  return { nproc: cpus().length, cpu: cpus()[0]?.model, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, docker: docker.lines.map((l) => l.text).join(' ') };
}

type Stats = ReturnType<Sandbox['stats']>;
const count = (stats: Stats) => {
  const ecs = stats.ecs as Record<string, number>;
  const ecr = stats.ecr as Record<string, number>;
  const registry = stats.registry as Record<string, number>;
  const writes = Object.fromEntries([...Object.entries(ecs), ...Object.entries(ecr)].filter(([k, v]) => WRITES.includes(k) && v > 0));
  return { ecs, ecr, registry, ecsCalls: sum(Object.values(ecs)), ecrCalls: sum(Object.values(ecr)), registryRequests: sum(Object.values(registry)), writes };
};

/** Per target: summed task time and the mean per app. */
function byTarget(tasks: TaskTiming[]): Record<string, { tasks: number; totalMs: number; meanMs: number }> {
  const out: Record<string, { tasks: number; totalMs: number; meanMs: number }> = {};
  for (const t of tasks) {
    const o = (out[t.target] ??= { tasks: 0, totalMs: 0, meanMs: 0 });
    o.tasks++;
    o.totalMs += t.ms;
  }
  for (const o of Object.values(out)) o.meanMs = o.totalMs / o.tasks;
  return out;
}

async function benchSize(n: number) {
  const tmp = mkdtempSync(join(tmpdir(), `ferry-bench-${n}-`));
  const ws = join(tmp, 'ws');
  log(`N=${n}: sandbox and workspace in ${tmp}`);
  const sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
  // Interrupted (Ctrl-C, a CI timeout): the sandbox's task containers and registry go with the run.
  // Kept installed while it stops: a second signal (tsx relays the one the process also got) must
  // not end the process before the containers are gone.
  let stopping: Promise<void> | undefined;
  const interrupted = (signal: NodeJS.Signals) => {
    if (stopping) return;
    log(`${signal}: stopping the sandbox and its task containers`);
    stopping = sb.stop({ removeTasks: true }).finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  const cluster = 'bench';
  const ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NX_DAEMON: 'false',
    NX_TUI: 'false',
    NX_CACHE_DIRECTORY: join(tmp, 'nx-cache'),
    NX_NO_CLOUD: 'true',
    CI: '1',
    NO_COLOR: '1',
    NODE_NO_WARNINGS: '1',
    DOCKER_CONFIG: join(tmp, 'docker-config'),
  };
  mkdirSync(join(tmp, 'docker-config'), { recursive: true });
  let batchRun = 0;
  let daemon = false;
  const nx = async (args: string[], profile?: string): Promise<RunResult & { tasks: TaskTiming[]; batches: Record<string, unknown>[] }> => {
    // Nx resolves NX_PROFILE against the workspace root. The batch worker appends its own phases
    // (module load, prefetch, run, CPU) to FERRY_BATCH_TIMINGS.
    const timings = join(tmp, `batch-${++batchRun}.jsonl`);
    const r = await run(process.execPath, [nxBin, ...args, '--output-style=stream'], { cwd: ws, env: { ...env, NX_DAEMON: daemon ? 'true' : 'false', FERRY_BATCH_TIMINGS: timings, ...(profile ? { NX_PROFILE: profile } : {}) }, echo: values.verbose, cpu: true });
    const batches = existsSync(timings) ? readFileSync(timings, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : [];
    return { ...r, tasks: profile ? readProfile(join(ws, profile)) : [], batches };
  };
  const batchLine = (b: Record<string, unknown>[]) =>
    b.map((x) => `worker start ${x.workerStartMs} ms, load ${Math.round(Number(x.loadMs))} ms, prefetch ${Math.round(Number(x.prefetchMs))} ms (${x.prefetchCalls} calls), ${x.tasks} tasks ${Math.round(Number(x.runMs))} ms, CPU ${Math.round(Number(x.cpuMs))} ms`).join('; ');
  const result: Record<string, unknown> = { apps: n };
  try {
    const names = generateWorkspace(repoRoot, ws, n, { endpoint: sb.endpoint, registry: sb.registryHost, baseImage: sb.baseImage, cluster });
    const deployArgs = ['-t', 'deploy', '-c', 'local', `--parallel=${parallel}`];

    log('first deploy of every app (not a measurement)');
    const first = await nx(['run-many', ...deployArgs]);
    result.firstDeployMs = first.ms;
    log(`  ${s(first.ms)}`);

    // Nx's own start-up plus the N cached builds every deploy depends on: the floor under `deploy`.
    await nx(['run-many', '-t', 'build', `--parallel=${parallel}`]);
    const floors: RunResult[] = [];
    for (let i = 0; i < 2; i++) floors.push(await nx(['run-many', '-t', 'build', `--parallel=${parallel}`]));
    const nxFloor = median(floors.map((f) => f.ms));
    const nxFloorCpu = median(floors.map((f) => f.cpuMs ?? NaN));
    result.nxFloorCpuMs = nxFloorCpu;
    result.nxFloorMs = nxFloor;
    log(`Nx floor (run-many -t build, all cached): ${s(nxFloor)}, CPU ${s(nxFloorCpu)} (load ${load()})`);
    // Nx's own part of any batch executor: the same six-task chain per app run by a batch that does
    // nothing (workspace.ts, EMPTY_CHAIN). What a no-op costs beyond it is ferry's own.
    await nx(['run-many', '-t', EMPTY_CHAIN[EMPTY_CHAIN.length - 1], `--parallel=${parallel}`]);
    const emptyRuns: RunResult[] = [];
    for (let i = 0; i < 2; i++) emptyRuns.push(await nx(['run-many', '-t', EMPTY_CHAIN[EMPTY_CHAIN.length - 1], `--parallel=${parallel}`]));
    const emptyBatch = median(emptyRuns.map((f) => f.ms));
    result.emptyBatchMs = emptyBatch;
    log(`Nx with an empty batch executor (${EMPTY_CHAIN.length * n} tasks): ${s(emptyBatch)}, ${((emptyBatch - nxFloor) / n).toFixed(0)} ms/app beyond the Nx floor (load ${load()})`);

    const noops: unknown[] = [];
    for (let r = 0; r < rounds; r++) {
      sb.resetStats();
      const loadBefore = load();
      const res = await nx(['run-many', ...deployArgs], 'tmp/profile.json');
      const calls = count(sb.stats());
      const targets = byTarget(res.tasks);
      noops.push({ load: [loadBefore, load()], ms: res.ms, cpuMs: res.cpuMs, batches: res.batches, cpuPerAppBeyondNxMs: ((res.cpuMs ?? NaN) - nxFloorCpu) / n, perAppBeyondNxMs: (res.ms - nxFloor) / n, perAppBeyondEmptyBatchMs: (res.ms - emptyBatch) / n, targets, calls, callsPerApp: { ecs: calls.ecsCalls / n, ecr: calls.ecrCalls / n, registry: calls.registryRequests / n } });
      log(`  per target (mean ms per task): ${Object.entries(targets).map(([k, v]) => `${k} ${v.meanMs.toFixed(0)}`).join(', ')}`);
      log(`  batch worker: ${batchLine(res.batches)}`);
      log(`no-op ${r + 1}: ${s(res.ms)} (${((res.ms - nxFloor) / n).toFixed(0)} ms/app beyond Nx, ${((res.ms - emptyBatch) / n).toFixed(0)} beyond an empty batch), CPU ${s(res.cpuMs ?? NaN)} (${(((res.cpuMs ?? NaN) - nxFloorCpu) / n).toFixed(0)} ms/app beyond Nx), ECS ${JSON.stringify(calls.ecs)}, ECR ${JSON.stringify(calls.ecr)}, registry ${JSON.stringify(calls.registry)}, writes ${JSON.stringify(calls.writes)}`);
    }
    result.noop = noops;

    log('content tags');
    const graph = await getProjectGraph(ws);
    const apps = await Promise.all(names.map((p) => resolveApp(ws, p, 'local')));
    const memo = createContentTagMemo(); // the parsed lock and ignore files, as a run keeps them
    await computeContentTags(apps, graph, memo);
    const tagRounds = 20;
    let t = performance.now();
    for (let i = 0; i < tagRounds; i++) await computeContentTags(apps, graph, memo);
    const tagMs = (performance.now() - t) / tagRounds;
    result.contentTags = { totalMs: tagMs, perAppMs: tagMs / n, graphSource: graph.source };
    log(`  ${tagMs.toFixed(1)} ms for ${n} apps (${(tagMs / n).toFixed(2)} ms/app)`);

    const changed: unknown[] = [];
    // The image the changed-app rounds built (the Nx floor run restores the app's dist/ from
    // Nx's cache, which removes build-image's record there).
    let lastBuiltRef = '';
    let edits = 0;
    const changeOne = async (label: string) => {
      const r = edits++;
      const app = names[0];
      writeFileSync(join(ws, 'apps', app, 'src/main.ts'), appSource(app, false, 2 + r));
      git(ws, 'commit', '-qam', `change ${app} (${r + 1})`);
      sb.resetStats();
      const loadBefore = load();
      const res = await nx(['affected', ...deployArgs, '--base=HEAD~1', '--head=HEAD'], 'tmp/profile.json');
      const deps = await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: app }));
      const latest = [...(deps.serviceDeployments ?? [])].sort((a, b) => +b.createdAt! - +a.createdAt!)[0];
      const at = (re: RegExp): Line | undefined => res.lines.find((l) => l.text.includes(app) && re.test(l.text));
      const buildLine = at(/built \S+ in [\d.]+s/);
      if (buildLine) lastBuiltRef = /built (\S+) in/.exec(buildLine.text)![1];
      const buildMs = buildLine ? Number(/in ([\d.]+)s/.exec(buildLine.text)![1]) * 1000 : NaN;
      const pushStart = at(/pushing /);
      const pushDone = res.lines.find((l) => pushStart && l.t >= pushStart.t && l.text.includes(app) && /pushed|push.*(done|digest)/i.test(l.text) && l !== pushStart);
      const pushMs = pushStart && pushDone ? pushDone.t - pushStart.t : NaN;
      const rolloutMs = +latest.finishedAt! - +latest.createdAt!;
      const doneLine = at(/deployment \S+ COMPLETED/);
      const detectMs = doneLine ? doneLine.t - +latest.finishedAt! : NaN;
      // The app's own esbuild bundle (its Nx `build` target) is not ferry's either: run by build-image
      // as one nested Nx per run (app-builds.ts), its wait is build-image's `build: done` line.
      const appBuildMs = sum(res.tasks.filter((x) => x.target === 'build').map((x) => x.ms)) + bundleWaitMs(res.lines, app);
      const overheadMs = res.ms - buildMs - pushMs - rolloutMs - appBuildMs;
      const calls = count(sb.stats());
      // Nx's own part of the same command: start-up, project graph, `affected`, the app's cached
      // build, exit. Measured right after on the same commit (the build is now a cache hit), like
      // the no-op's floor; ferry's overhead is what is left beyond it.
      const floorRuns: RunResult[] = [];
      for (let i = 0; i < 2; i++) floorRuns.push(await nx(['affected', '-t', 'build', `--parallel=${parallel}`, '--base=HEAD~1', '--head=HEAD']));
      const nxAffectedMs = median(floorRuns.map((f) => f.ms));
      const ferryMs = overheadMs - nxAffectedMs;
      changed.push({ label, daemon, load: [loadBefore, load()], ms: res.ms, cpuMs: res.cpuMs, batches: res.batches, appBuildMs, buildMs, pushMs, rolloutMs, detectMs, overheadMs, nxAffectedMs, ferryMs, targets: byTarget(res.tasks), tasks: res.tasks, calls, status: latest.status });
      log(`changed ${app} (${label}): ${s(res.ms)} = app bundle ${s(appBuildMs)} + image build ${s(buildMs)} + push ${s(pushMs)} + rollout ${s(rolloutMs)} + Nx ${s(nxAffectedMs)} + ferry ${s(ferryMs)} (ferry and Nx ${s(overheadMs)}); detected ${detectMs} ms after COMPLETED (load ${load()}); CPU ${s(res.cpuMs ?? NaN)}`);
      log(`  per target (ms): ${Object.entries(byTarget(res.tasks)).map(([k, v]) => `${k} ${v.totalMs.toFixed(0)}`).join(', ')}`);
      log(`  batch worker: ${batchLine(res.batches)}`);
    };
    for (let r = 0; r < rounds; r++) await changeOne(`round ${r + 1}`);

    // K changed apps in one `nx affected -t deploy`: the wall time beside the sum of the K
    // rollouts. Rollouts that overlap in time make the wall about one rollout plus overhead; one
    // after another it is about K of them. Each rollout is the sandbox deployment's createdAt ->
    // finishedAt (ListServiceDeployments), as for one changed app.
    const multi: unknown[] = [];
    for (const k of changedCounts.filter((x) => x <= n)) {
      const r = edits++;
      const which = names.slice(0, k);
      for (const app of which) writeFileSync(join(ws, 'apps', app, 'src/main.ts'), appSource(app, names.indexOf(app) % 2 === 1, 2 + r));
      git(ws, 'commit', '-qam', `change ${k} apps (${r + 1})`);
      sb.resetStats();
      const loadBefore = load();
      const res = await nx(['affected', ...deployArgs, '--base=HEAD~1', '--head=HEAD'], 'tmp/profile.json');
      const rollouts = await Promise.all(
        which.map(async (app) => {
          const deps = await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: app }));
          const latest = [...(deps.serviceDeployments ?? [])].sort((a, b) => +b.createdAt! - +a.createdAt!)[0];
          const at = (re: RegExp): Line | undefined => res.lines.find((l) => l.text.includes(app) && re.test(l.text));
          const buildLine = at(/built \S+ in [\d.]+s/);
          const pushStart = at(/pushing /);
          const pushDone = res.lines.find((l) => pushStart && l.t >= pushStart.t && l.text.includes(app) && /pushed|push.*(done|digest)/i.test(l.text) && l !== pushStart);
          const doneLine = at(/deployment \S+ COMPLETED/);
          return {
            app,
            // From ECS marking the deployment finished to ferry's line saying so.
            detectMs: doneLine ? doneLine.t - +latest.finishedAt! : NaN,
            bundleMs: bundleWaitMs(res.lines, app),
            bundleNxMs: bundleNxMs(res.lines, app),
            status: latest.status,
            createdAt: +latest.createdAt!,
            finishedAt: +latest.finishedAt!,
            rolloutMs: +latest.finishedAt! - +latest.createdAt!,
            buildMs: buildLine ? Number(/in ([\d.]+)s/.exec(buildLine.text)![1]) * 1000 : NaN,
            pushMs: pushStart && pushDone ? pushDone.t - pushStart.t : NaN,
          };
        }),
      );
      const sumRolloutsMs = sum(rollouts.map((x) => x.rolloutMs));
      const maxRolloutMs = Math.max(...rollouts.map((x) => x.rolloutMs));
      // Every pair of rollouts overlaps when the last to start started before the first to end ended.
      const allOverlap = Math.max(...rollouts.map((x) => x.createdAt)) < Math.min(...rollouts.map((x) => x.finishedAt));
      const slowestChainMs = Math.max(...rollouts.map((x) => x.buildMs + x.pushMs + x.rolloutMs));
      // With the apps' own bundle (the nested Nx build-image waits for) in each chain.
      const slowestWithBundleMs = Math.max(...rollouts.map((x) => x.bundleMs + x.buildMs + x.pushMs + x.rolloutMs));
      // The same with the app's build counted whole: the nested Nx from its start (Nx's start-up
      // included), not only the part build-image waited for after its own checks.
      const slowestWithNxBuildMs = Math.max(...rollouts.map((x) => x.bundleNxMs + x.buildMs + x.pushMs + x.rolloutMs));
      const appBuildMs = sum(res.tasks.filter((x) => x.target === 'build').map((x) => x.ms)) + Math.max(0, ...rollouts.map((x) => x.bundleMs));
      multi.push({ changed: k, load: [loadBefore, load()], ms: res.ms, cpuMs: res.cpuMs, sumRolloutsMs, maxRolloutMs, allOverlap, slowestChainMs, slowestWithBundleMs, slowestWithNxBuildMs, appBuildMs, batches: res.batches, rollouts, calls: count(sb.stats()) });
      log(`${k} changed app(s): wall ${s(res.ms)}, sum of rollouts ${s(sumRolloutsMs)}, longest rollout ${s(maxRolloutMs)}, slowest image build + push + rollout ${s(slowestChainMs)} (${s(slowestWithBundleMs)} with the app bundle), over it ${s(res.ms - slowestWithBundleMs)} (${s(res.ms - slowestWithNxBuildMs)} over ${s(slowestWithNxBuildMs)} with the app's whole Nx build), rollouts ${allOverlap ? 'all overlap' : 'do not all overlap'}, detected ${rollouts.map((x) => x.detectMs).join('/')} ms after COMPLETED; ${res.batches.length} batch(es) (load ${load()})`);
      log(`  batch worker: ${batchLine(res.batches)}`);
    }
    result.changedApps = multi;

    // A developer's machine runs Nx with its daemon (Nx's default outside CI): the project graph
    // stays computed between runs. Same measurements, daemon on, after one warm-up run.
    daemon = true;
    try {
      await nx(['run-many', '-t', 'build', `--parallel=${parallel}`]);
      const dFloors: RunResult[] = [];
      for (let i = 0; i < 2; i++) dFloors.push(await nx(['run-many', '-t', 'build', `--parallel=${parallel}`]));
      sb.resetStats();
      const dNoop = await nx(['run-many', ...deployArgs], 'tmp/profile.json');
      const dFloor = median(dFloors.map((f) => f.ms));
      result.daemon = { nxFloorMs: dFloor, noopMs: dNoop.ms, perAppBeyondNxMs: (dNoop.ms - dFloor) / n, writes: count(sb.stats()).writes, batches: dNoop.batches };
      log(`with the Nx daemon: floor ${s(dFloor)}, no-op ${s(dNoop.ms)} (${((dNoop.ms - dFloor) / n).toFixed(0)} ms/app beyond Nx)`);
      await changeOne('Nx daemon');
    } finally {
      daemon = false;
      await run(process.execPath, [nxBin, 'daemon', '--stop'], { cwd: ws, env, allowFail: true });
    }
    result.changed = changed;

    // Layer reuse: the rebuilt image shares every base layer; only the bundle layer is new.
    const record = { imageRef: lastBuiltRef };
    const inspect = async (ref: string) => JSON.parse((await run('docker', ['image', 'inspect', ref], { cwd: ws })).lines.map((l) => l.text).join('\n'))[0] as { Size: number; RootFS: { Layers: string[] } };
    const [img, base] = [await inspect(record.imageRef), await inspect(sb.baseImage)];
    result.image = {
      imageRef: record.imageRef,
      sizeBytes: img.Size,
      baseSizeBytes: base.Size,
      addedBytes: img.Size - base.Size,
      layers: img.RootFS.Layers.length,
      sharedWithBase: img.RootFS.Layers.filter((l) => base.RootFS.Layers.includes(l)).length,
    };
    log(`image ${JSON.stringify(result.image)}`);

    if (!values['no-baseline']) {
      const bo = { root: ws, apps: names, endpoint: sb.endpoint, registry: sb.registryHost, baseImage: sb.baseImage, cluster, credentials: SANDBOX_CREDENTIALS, parallel: Number(values['baseline-parallel']), dockerConfig: join(tmp, 'baseline-docker') };
      await prepareBaseline(bo);
      // The script's first run pushes the base layers into its repositories; every later run finds
      // them there. Measure that steady state (the first run's time is kept for reference).
      const t0 = performance.now();
      await runBaseline(bo, `${git(ws, 'rev-parse', '--short', 'HEAD')}-1`);
      const coldMs = performance.now() - t0;
      log(`baseline warm-up (first run, not compared): ${s(coldMs)}`);
      sb.resetStats();
      const loadBefore = load();
      t = performance.now();
      const timings: BaselineAppTiming[] = await runBaseline(bo, git(ws, 'rev-parse', '--short', 'HEAD'));
      const ms = performance.now() - t;
      const calls = count(sb.stats());
      const mean = (k: keyof Omit<BaselineAppTiming, 'app'>) => sum(timings.map((x) => x[k])) / timings.length;
      result.baseline = { load: [loadBefore, load()], coldMs, ms, parallel: bo.parallel, perApp: { buildMs: mean('buildMs'), pushMs: mean('pushMs'), registerUpdateMs: mean('registerUpdateMs'), waitMs: mean('waitMs') }, calls, callsPerApp: { ecs: calls.ecsCalls / n, ecr: calls.ecrCalls / n, registry: calls.registryRequests / n } };
      log(`baseline: ${s(ms)} ${JSON.stringify(result.baseline)}`);
      const noopMs = median((noops as { ms: number }[]).map((x) => x.ms));
      result.speedup = ms / noopMs;
      log(`speed-up of the no-op over the baseline: ${(ms / noopMs).toFixed(1)}x`);
    }
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await sb.stop({ removeTasks: true }).catch(() => undefined);
    const images = (await run('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { cwd: repoRoot })).lines.map((l) => l.text).filter((r) => r.startsWith(`${sb.registryHost}/`));
    if (images.length) await run('docker', ['rmi', '-f', ...images], { cwd: repoRoot, allowFail: true });
    if (!values.keep) rmSync(tmp, { recursive: true, force: true });
  }
  return result;
}

const report = { date: new Date().toISOString(), machine: await machine(), command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), parallel, results: [] as unknown[] };
for (const n of sizes) report.results.push(await benchSize(n));
const out = values.out ?? join(repoRoot, 'tmp', 'bench', `deploy-${report.date.replace(/[:.]/g, '-')}.json`);
mkdirSync(join(out, '..'), { recursive: true });
writeFileSync(out, JSON.stringify(report, null, 2));
log(`results: ${out}`);
