/**
 * One read of every service a batch will deploy, taken before its tasks start: DescribeServices
 * per cluster with up to 10 services a call, instead of one call per app, into the session's
 * read-through cache of live ECS state (aws/live-ecs.ts). deploy-app plans on that read exactly as
 * it would on its own DescribeServices a moment later; anything it decides to change is re-planned
 * on a fresh read under the service lock (lock.ts), and a read older than LIVE_MAX_AGE_MS is never
 * used. The same pass computes every app's content tag (one git pass), registers the locks to
 * take ahead (lock-ahead.ts), and describes the repositories the batch's pushes will ensure, up to
 * 100 a call, before any push asks (ecr.ts, describeRepositoriesAhead).
 *
 * An optimisation only: if anything here fails, the tasks read ECS themselves and report errors
 * in their own words.
 */
import { parseArgs } from 'node:util';
import { computeContentTag, contentTagMemo, getProjectGraph, gitRevision, primeContentTags, resolveApp, type ResolvedApp, type RunSession } from '@ferry/core';
import { awsClients, DESCRIBE_SERVICES_MAX, describeRepositoriesAhead, imageExists, LIVE_MAX_AGE_MS, type EcrPort, type EcsPort, type EcsTask } from '@ferry/aws';
import { loginAhead } from '@ferry/docker';
import { APP_BUILD_TARGET, appBuilds } from './app-builds.ts';
import { appPorts, CHAIN_OPTIONS, localImage, locksAhead, lockWaitMs, planFor, sandboxTargetGroup, withResolvedAppUrls, type ChainArgs, type LockAheadKey } from '@ferry/deploy';

/** The tasks whose first step is reading the service. */
const READS_SERVICE = new Set(['deploy-app', 'diff']);
/** With a container health check, health-check reads the service's tasks too. */
const READS_TASKS = new Set(['health-check']);
/** These compute the app's content tag (a git pass each when alone). */
const TAGS_IMAGE = new Set(['build-image', 'push', 'deploy-app', 'diff']);

/** `--env=x` / `--env x` / `-e x` from a task's flags (undefined: the default environment). */
export function envFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--env=')) return a.slice('--env='.length);
    if ((a === '--env' || a === '-e') && i + 1 < argv.length) return argv[i + 1];
  }
  return undefined;
}

/** The deploy chain's flags of a task (`--dry-run`, `--tag`, ...), as deploy-app will read them. */
function chainArgs(argv: readonly string[]): Partial<ChainArgs> {
  try {
    return parseArgs({ args: [...argv], options: { ...CHAIN_OPTIONS, project: { type: 'string' }, env: { type: 'string', short: 'e' } }, strict: false, allowPositionals: true }).values as Partial<ChainArgs>;
  } catch {
    return { 'dry-run': true };
  }
}

/** What the prefetch learnt for the batch's scheduling, and what it cost. */
export interface Prefetched {
  /** AWS calls the prefetch made. */
  calls: number;
  /** The lock each deploy-app task may take ahead, by task id: given back when that task is skipped. */
  lockByDeployTask: Map<string, LockAheadKey>;
  /** Every chain task of an app with a lock ahead (build-image, push, deploy-app) -> that lock: begun when the first starts. */
  lockByChainTask: Map<string, LockAheadKey>;
}

/** What one app (project and environment) of the batch will read, and its tasks that need that. */
interface Need {
  project: string;
  env?: string;
  readsService: boolean;
  healthChecked: boolean;
  tagged: boolean;
  /** The app's deploy-app task and its chain flags (the lock ahead is decided for it). */
  deployTask?: { id?: string; args: Partial<ChainArgs> };
  /** Its build-image, push and deploy-app tasks: the first of them to start begins the lock ahead. */
  chainTaskIds: string[];
  /** It has a build-image task that may build (not a dry run, no --tag): its app build is decided here. */
  buildsImage: boolean;
  /** It has a push task (not a dry run): push's ensureRepository describes the app's repository. */
  pushes: boolean;
}

export async function prefetchServices(session: RunSession, tasks: readonly { id?: string; project: string; script: string; argv: string[] }[]): Promise<Prefetched> {
  const workspaceRoot = session.workspaceRoot;
  const out: Prefetched = { calls: 0, lockByDeployTask: new Map(), lockByChainTask: new Map() };
  // What each app (project and environment) of the batch will read.
  const needs = new Map<string, Need>();
  let reading = 0;
  for (const t of tasks) {
    const readsService = READS_SERVICE.has(t.script);
    const healthChecked = READS_TASKS.has(t.script);
    const tagged = TAGS_IMAGE.has(t.script);
    if (!readsService && !healthChecked && !tagged) continue;
    reading++;
    const env = envFlag(t.argv);
    const key = `${t.project}\0${env ?? ''}`;
    const n = needs.get(key) ?? { project: t.project, env, readsService: false, healthChecked: false, tagged: false, chainTaskIds: [], buildsImage: false, pushes: false };
    const args = chainArgs(t.argv);
    const deployTask = t.script === 'deploy-app' ? { id: t.id, args } : n.deployTask;
    const chainTaskIds = tagged && t.id ? [...n.chainTaskIds, t.id] : n.chainTaskIds;
    const buildsImage = n.buildsImage || (t.script === 'build-image' && !args['dry-run'] && args.tag === undefined);
    const pushes = n.pushes || (t.script === 'push' && !args['dry-run']);
    needs.set(key, { ...n, readsService: n.readsService || readsService, healthChecked: n.healthChecked || healthChecked, tagged: n.tagged || tagged, deployTask, chainTaskIds, buildsImage, pushes });
  }
  if (reading < 2) return out;
  const resolved: (ResolvedApp & Omit<Need, 'project' | 'env'>)[] = [];
  for (const n of needs.values()) {
    try {
      resolved.push({ ...(await resolveApp(workspaceRoot, n.project, n.env, session)), healthChecked: n.healthChecked, readsService: n.readsService, tagged: n.tagged, deployTask: n.deployTask, chainTaskIds: n.chainTaskIds, buildsImage: n.buildsImage, pushes: n.pushes });
    } catch {
      // The task itself reports a bad config.
    }
  }
  // Every app's content tag in one git pass (batch mode keeps them: content-tag.ts).
  const toTag = resolved.filter((r) => r.tagged);
  const tags = toTag.length ? getProjectGraph(workspaceRoot, session).then((g) => primeContentTags(toTag, g, contentTagMemo(session))).catch(() => undefined) : undefined;
  // The revision every tagging task records (one `git status`, kept by the run), read beside the
  // tags' git pass and the ECS read rather than by the first task after them.
  if (toTag.length) gitRevision(workspaceRoot, session).catch(() => undefined);
  startAppBuilds(session, resolved.filter((r) => r.buildsImage), tags);
  // The repositories the pushes will ensure, per registry, described together now, before any push
  // asks (an app's own repository that did not exist, or a failed call, is asked for by its push).
  const repositories = new Map<EcrPort, string[]>();
  for (const r of resolved.filter((x) => x.pushes)) {
    const ecr = session.use(awsClients).ecr(r.env);
    repositories.set(ecr, [...(repositories.get(ecr) ?? []), r.app.repository]);
  }
  for (const [ecr, names] of repositories) describeRepositoriesAhead(ecr, names);
  const groups = new Map<string, typeof resolved>();
  for (const r of resolved.filter((x) => x.readsService || x.healthChecked)) {
    const key = JSON.stringify([r.env.name, r.env.cluster]);
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  await Promise.all(
    [...groups.values()].map(async (apps) => {
      try {
        const { ecs } = appPorts(session, apps[0]);
        const services = [...new Set(apps.filter((a) => a.readsService).map((a) => a.app.service))];
        out.calls += Math.ceil(services.length / DESCRIBE_SERVICES_MAX);
        // Into the run's cache of live ECS state, where each task's own read finds it.
        if (services.length) await ecs.describeServices(apps[0].env.cluster, services);
        // Task health is not in DescribeServices: list the cluster's tasks once for all the apps
        // that need it, unless that would cost more calls than reading them app by app.
        const needTasks = apps.filter((a) => a.healthChecked && a.app.containerHealthCheck).length;
        if (needTasks >= 2) {
          const readAt = session.clock.now();
          const listing = await listClusterTasks(ecs, apps[0].env.cluster, needTasks);
          if (listing) {
            out.calls += listing.calls;
            session.use(awsClients).liveEcs(apps[0].env).putClusterTasks(apps[0].env.cluster, listing.tasks, readAt, services);
          }
        }
      } catch {
        // Each task reads (and reports) on its own.
      }
    }),
  );
  for (const r of resolved) {
    const k = r.deployTask ? lockAhead(session, r, r.deployTask, tags) : undefined;
    if (!k) continue;
    if (r.deployTask?.id) out.lockByDeployTask.set(r.deployTask.id, k);
    for (const id of r.chainTaskIds) out.lockByChainTask.set(id, k);
  }
  await tags;
  return out;
}

/**
 * For the batch's apps whose image is not in the registry, in the background: one nested Nx build
 * of their bundles (app-builds.ts; their build-image tasks wait for it), and the run's login to
 * their registries (push-image.ts, loginAhead), so that neither waits on the app's path to its
 * rollout. An app whose image is there (a no-op) needs no bundle and no login, and the registry
 * answer is the one build-image reads next (the run keeps images found).
 */
function startAppBuilds(session: RunSession, apps: ResolvedApp[], tags: Promise<unknown> | undefined): void {
  if (!apps.length) return;
  const missing = (async () => {
    await tags;
    const graph = await getProjectGraph(session.workspaceRoot, session);
    const found = await Promise.all(
      apps.map(async (r) => {
        try {
          const { tag } = await computeContentTag(r, graph, contentTagMemo(session));
          return (await imageExists(session.use(awsClients).ecr(r.env), r.app.repository, tag)) ? undefined : r;
        } catch {
          return undefined; // build-image asks again and reports; it then builds the app alone
        }
      }),
    );
    const out = found.filter((r): r is ResolvedApp => r !== undefined);
    for (const r of out) loginAhead(r, { ecr: session.use(awsClients).ecr(r.env), session });
    return { out, graph };
  })();
  const needed = missing.then(({ out, graph }) => [...new Set(out.filter((r) => graph.nodes[r.app.project]?.targetNames.includes(APP_BUILD_TARGET)).map((r) => r.app.project))]);
  session.use(appBuilds).startShared([...new Set(apps.map((r) => r.app.project))], needed);
}

/**
 * Registers the lock ahead of one deploy-app task (lock-ahead.ts); once the app's chain starts it
 * decides in the background: the lock is taken when deploy-app's own planning on the batch's read
 * (the same planFor, the same inputs) says `update`. An up-to-date app is never locked, so a no-op
 * still writes nothing. Not for dry runs, `--tag` or `--force-unlock`.
 */
function lockAhead(session: RunSession, r: ResolvedApp, task: { id?: string; args: Partial<ChainArgs> }, tags: Promise<unknown> | undefined): LockAheadKey | undefined {
  const { args } = task;
  if (args['dry-run'] || args.tag !== undefined || args['force-unlock']) return undefined;
  const ports = appPorts(session, r);
  // Only for a service this run has just read (and found): a first deploy has nothing to lock ahead.
  const read = session.use(awsClients).liveEcs(r.env).service(r.env.cluster, r.app.service, LIVE_MAX_AGE_MS);
  if (!read?.service) return undefined;
  let waitMs: number;
  try {
    waitMs = lockWaitMs(args);
  } catch {
    return undefined; // deploy-app reports the bad flag
  }
  const k: LockAheadKey = { env: r.env.name, cluster: r.env.cluster, service: r.app.service };
  session.use(locksAhead).start(ports.ecs, { ...k, app: r.app.project }, { waitMs }, async () => {
    await tags;
    const image = await localImage(session, r, ports.ecr);
    // deploy-app's own planning on the same read of the service.
    // With the same inputs: other apps' URLs resolved, the target group the service would get.
    const app = await withResolvedAppUrls(session, r.workspaceRoot, r);
    const targetGroup = sandboxTargetGroup(ports.elbv2, app, r.env, { dryRun: true });
    const { plan } = await planFor(ports.ecs, { app, env: r.env, imageRef: image.imageRef, contentTag: image.tag, gitSha: image.gitSha, force: args.force, targetGroup }, { maxAgeMs: LIVE_MAX_AGE_MS, scaling: ports.scaling, elb: ports.elbv2 });
    return plan.kind === 'update';
  });
  return k;
}

/**
 * The cluster's RUNNING tasks (ListTasks pages + DescribeTasks per 100), or undefined when that
 * would take more than two calls per app that needs them (a big shared cluster: reading per app,
 * ListTasks + DescribeTasks, is cheaper).
 */
async function listClusterTasks(ecs: EcsPort, cluster: string, apps: number): Promise<{ tasks: EcsTask[]; calls: number } | undefined> {
  const arns = await ecs.listClusterTasks?.(cluster, 'RUNNING', apps);
  if (!arns) return undefined;
  const describeCalls = Math.ceil(arns.arns.length / 100);
  if (arns.calls + describeCalls > 2 * apps) return undefined;
  const tasks = arns.arns.length ? await ecs.describeTasks(cluster, arns.arns) : [];
  return { tasks, calls: arns.calls + describeCalls };
}
