/**
 * The push step: make sure the ECR repository is set up, skip when the tag is already there,
 * otherwise log in with a short-lived ECR token in a temporary DOCKER_CONFIG, push, record the
 * digest. The login is the run's: one per registry and docker client however many apps push
 * (`registryLogins`), thrown away when the run ends. An unreachable registry is retried with backoff.
 */
import pRetry from 'p-retry';
import { FerryError, computeContentTag, runSecrets, contentTagMemo, getProjectGraph, gitRevision, sessionPart, type ResolvedApp, type RunSession } from '@ferry/core';
import { ensureRepository, getRegistryCredentials, imageExists, lifecyclePolicyFor, registryFor } from '@ferry/aws';
import { detectBuilder, type DockerBuilder } from './builder.ts';
import { imageRefOf, summarizeInputs, type BuildImagePorts } from './build-image.ts';
import { formatCommand } from './build-args.ts';
import { dockerLogin, dockerPush, inspectLocalImage, type DockerContext, type LoginSession } from './docker.ts';
import { imageRecordPath, readImageRecord, writeImageRecord, type ImageRecord } from './image-record.ts';

export interface PushFacts {
  record: ImageRecord;
  /** The tag in ECR (null: not there yet). */
  inRegistry: { digest: string } | null;
  /** The image in the local engine. */
  local: { id: string } | null;
}

export type PushPlan =
  | { action: 'skip'; message: string; record: ImageRecord }
  | {
      action: 'push';
      message: string;
      record: ImageRecord;
      /** The commands as they will run; the password is fed to `login` on stdin, never in the arguments. */
      commands: { login: string[]; push: string[] };
    };

/**
 * Decides what push does. Pure. With `dryRun` an image missing locally is planned anyway: in a dry
 * run of the chain build-image built nothing, and the push it would be followed by is what to show.
 */
export function planPush(f: PushFacts, docker = 'docker', opts: { dryRun?: boolean } = {}): PushPlan {
  const { record } = f;
  if (f.inRegistry) {
    return { action: 'skip', message: `${record.imageRef} is already pushed (${f.inRegistry.digest})`, record: { ...record, digest: f.inRegistry.digest } };
  }
  if (!f.local && !opts.dryRun) {
    throw new FerryError(
      'NOT_FOUND',
      `${record.imageRef} is not in the registry and not in the local Docker engine. Run build-image for ${record.project} (--env ${record.environment}) first.`,
    );
  }
  return {
    action: 'push',
    message: opts.dryRun ? `would push ${record.imageRef}${f.local ? '' : ' (not built yet: build-image builds it first)'}` : `pushing ${record.imageRef}`,
    record,
    commands: {
      login: [docker, 'login', '--password-stdin', '--username', 'AWS', record.registry],
      push: [docker, 'push', record.imageRef],
    },
  };
}

/** The side effects push needs: build-image's, and the registry's backoff. */
export interface PushPorts extends BuildImagePorts {
  /** Backoff for an unreachable registry (default 3 retries from 500 ms, doubling). */
  retry?: { retries: number; minTimeout: number };
}

/** The image.json build-image left, or a NOT_FOUND telling the user to run it. */
export function requireImageRecord(resolved: ResolvedApp): ImageRecord {
  const record = readImageRecord(resolved);
  if (!record) {
    throw new FerryError('NOT_FOUND', `No image recorded for ${resolved.app.project} in '${resolved.env.name}' (${imageRecordPath(resolved)} is missing). Run build-image first: \`npx nx run ${resolved.app.project}:build-image --env ${resolved.env.name}\`.`);
  }
  return record;
}

/**
 * The record must describe the workspace as it is now: a record left from an older build-image
 * (code changed since, or ferry.json's registry) would push an image deploy-app will not look for.
 */
export function checkRecordIsCurrent(record: ImageRecord, current: { tag: string; registry: string; repository: string }, resolved: ResolvedApp): void {
  const stale = [
    record.tag !== current.tag && `its tag is ${record.tag} but the workspace's content tag is now ${current.tag}`,
    record.registry !== current.registry && `it was built for registry ${record.registry}, the environment now uses ${current.registry}`,
    record.repository !== current.repository && `it was built for repository ${record.repository}, deploy.json now says ${current.repository}`,
  ].filter(Boolean);
  if (stale.length) {
    throw new FerryError('USAGE', `The image recorded by build-image for ${record.project} is out of date: ${stale.join('; ')}. Run build-image again: \`npx nx run ${record.project}:build-image --configuration=${resolved.env.name}\`.`);
  }
}

/**
 * The run's docker logins, by docker client and registry: each in its own temporary DOCKER_CONFIG
 * (mode 0700), every one removed when the run's session closes. A failed login is not kept.
 * `ahead` starts one before any push needs it (the batch's prefetch, for the images it found
 * missing); a push that finds that attempt failed logs in itself, with its own retries and report.
 */
export const registryLogins = sessionPart('registry logins', (session) => {
  const logins = new Map<string, { login: Promise<LoginSession>; ahead: boolean }>();
  const made: LoginSession[] = [];
  let closed = false;
  session.onClose(() => {
    closed = true;
    for (const l of made) l.dispose();
  });
  const start = (key: string, login: () => Promise<LoginSession>, ahead: boolean) => {
    const entry = {
      ahead,
      login: login().then((l) => {
        // A login that finished after the run ended (interrupted) goes at once.
        if (closed) l.dispose();
        else made.push(l);
        return l;
      }),
    };
    logins.set(key, entry);
    entry.login.catch(() => {
      if (logins.get(key) === entry) logins.delete(key);
    });
    return entry;
  };
  return {
    async get(key: string, login: () => Promise<LoginSession>): Promise<LoginSession> {
      const entry = logins.get(key) ?? start(key, login, false);
      if (!entry.ahead) return entry.login;
      try {
        return await entry.login;
      } catch {
        return (logins.get(key) ?? start(key, login, false)).login;
      }
    },
    /** Starts the login in the background unless one is made or under way; its failure is nobody's. */
    ahead(key: string, login: () => Promise<LoginSession>): void {
      if (!logins.has(key)) start(key, login, true).login.catch(() => undefined);
    },
  };
});

/** The key of a login in `registryLogins`: one per docker client and registry. */
const loginKey = (builder: DockerBuilder, registry: string) => `${builder.docker}\0${registry}`;

/** Logs `docker` in to `registry` with a fresh ECR token (the password goes to the run's secrets). */
async function ecrLogin(docker: DockerContext, ecr: PushPorts['ecr'], registry: string): Promise<LoginSession> {
  const creds = await getRegistryCredentials(ecr);
  return dockerLogin(docker, registry, creds.username, creds.password);
}

/**
 * Starts the run's login to the registry `resolved` pushes to, in the background, while its image
 * is still to be built: the push then finds the login made (one GetAuthorizationToken and one
 * `docker login` fewer on the app's path to its rollout). For an image the registry does not have,
 * so that a no-op never logs in. Nothing is reported: if it fails, push logs in itself and reports.
 */
export function loginAhead(resolved: ResolvedApp, ports: Pick<PushPorts, 'ecr' | 'run' | 'env'> & { session: RunSession }): void {
  const { session } = ports;
  void (async () => {
    const [registry, builder] = await Promise.all([registryFor(resolved.env, ports.ecr), detectBuilder({ env: ports.env, run: ports.run, session })]);
    const docker: DockerContext = { builder, run: ports.run, env: ports.env, secrets: session.use(runSecrets) };
    session.use(registryLogins).ahead(loginKey(builder, registry), () => ecrLogin(docker, ports.ecr, registry));
  })().catch(() => undefined);
}

/**
 * The facts push decides on. A dry run does not need build-image's record: a dry run of the chain
 * records nothing (and the app's `build` may have replaced dist/), so it plans for the image of the
 * workspace as it is now. `builder` is undefined when the image is in the registry (nothing to
 * push: no docker client is started).
 */
export async function gatherPushFacts(resolved: ResolvedApp, ports: PushPorts, opts: { dryRun?: boolean } = {}): Promise<{ facts: PushFacts; builder?: DockerBuilder }> {
  const recorded = opts.dryRun ? readImageRecord(resolved) : requireImageRecord(resolved);
  const [content, registry] = await Promise.all([
    getProjectGraph(resolved.workspaceRoot, ports.session).then((g) => computeContentTag(resolved, g, ports.session && contentTagMemo(ports.session))),
    registryFor(resolved.env, ports.ecr),
  ]);
  const current = { tag: content.tag, registry, repository: resolved.app.repository };
  let record: ImageRecord;
  if (recorded && !opts.dryRun) {
    checkRecordIsCurrent(recorded, current, resolved);
    record = recorded;
  } else if (recorded && recorded.tag === current.tag && recorded.registry === current.registry && recorded.repository === current.repository) {
    record = recorded;
  } else {
    const git = await gitRevision(resolved.workspaceRoot, ports.session).catch(() => undefined);
    record = {
      project: resolved.app.project,
      environment: resolved.env.name,
      ...current,
      imageRef: imageRefOf(registry, current.repository, current.tag),
      gitSha: git?.sha ?? 'unknown',
      inputs: summarizeInputs(content),
    };
  }
  // Pushed already (the no-op case): the local engine has nothing to add, and no docker client is started.
  const inRegistry = await imageExists(ports.ecr, record.repository, record.tag);
  if (inRegistry && !opts.dryRun) return { facts: { record, inRegistry, local: null } };
  const builder = await detectBuilder({ env: ports.env, run: ports.run, session: ports.session });
  const local = await inspectLocalImage({ builder, run: ports.run, env: ports.env }, record.imageRef);
  return { facts: { record, inRegistry, local: local ? { id: local.id } : null }, builder };
}

/**
 * The whole push: ensure the repository (IMMUTABLE, scan on push, lifecycle policy) while the facts
 * are read, then the plan decided on them, then login + push + record. Returns the updated record.
 */
export async function pushImage(resolved: ResolvedApp, ports: PushPorts): Promise<ImageRecord> {
  const { reporter } = ports;
  const project = resolved.app.project;
  // The repository's settings and the push's facts are read at once (a no-op's push is these reads
  // only); the repository's error, when both fail, is the one reported, as when they ran in turn.
  const [ensured, gathered] = await Promise.allSettled([ensureRepository(ports.ecr, resolved.app, reporter), gatherPushFacts(resolved, ports)]);
  if (ensured.status === 'rejected') throw ensured.reason;
  const repo = ensured.value;
  reporter.emit({
    kind: 'step',
    app: project,
    step: 'ensure-repository',
    status: repo.created || repo.policyUpdated ? 'done' : 'skip',
    message: repo.created ? `created ${repo.repositoryName}` : repo.policyUpdated ? `updated the lifecycle policy of ${repo.repositoryName}` : `${repo.repositoryName} is set up`,
    data: { repository: repo.repositoryName, created: repo.created, policyUpdated: repo.policyUpdated, tagMutability: repo.tagMutability },
  });

  if (gathered.status === 'rejected') throw gathered.reason;
  const { facts, builder } = gathered.value;
  const plan = planPush(facts, builder?.docker);
  if (plan.action === 'skip') {
    writeImageRecord(resolved, plan.record);
    reporter.emit({ kind: 'step', app: project, step: 'push', status: 'skip', message: plan.message, data: { imageRef: plan.record.imageRef, digest: plan.record.digest } });
    return plan.record;
  }
  if (!builder) throw new Error(`push facts of ${project} without a docker client although ${plan.record.imageRef} is not in the registry`);

  reporter.emit({ kind: 'step', app: project, step: 'push', status: 'start', message: plan.message, data: { imageRef: plan.record.imageRef } });
  const docker: DockerContext = { builder, run: ports.run, env: ports.env, secrets: ports.session?.use(runSecrets) };
  const retry = ports.retry ?? { retries: 3, minTimeout: 500 };
  const withRetry = <T>(what: string, fn: () => Promise<T>) =>
    pRetry(fn, {
      retries: retry.retries,
      minTimeout: retry.minTimeout,
      factor: 2,
      signal: ports.signal,
      shouldRetry: (e) => e instanceof FerryError && e.code === 'REGISTRY_UNREACHABLE',
      onFailedAttempt: (e) => {
        if (e instanceof FerryError && e.code === 'REGISTRY_UNREACHABLE' && e.retriesLeft > 0) {
          reporter.emit({ kind: 'warn', app: project, message: `${what}: registry ${plan.record.registry} not reachable, retrying (${e.retriesLeft} left)` });
        }
      },
    });

  let digest: string;
  try {
    const login = async () => {
      const creds = await getRegistryCredentials(ports.ecr);
      return withRetry('login', () => dockerLogin(docker, plan.record.registry, creds.username, creds.password));
    };
    // With a run: its login to this registry, made ahead by the prefetch or by the first app that
    // pushes, and kept until the run ends (an ECR token lasts 12 hours). K changed apps start one
    // `docker login`, not K.
    const session = ports.session ? await ports.session.use(registryLogins).get(loginKey(builder, plan.record.registry), login) : await login();
    try {
      digest = await withRetry('push', () =>
        dockerPush(docker, plan.record.imageRef, {
          configDir: session.configDir,
          signal: ports.signal,
          onLine: (line) => reporter.emit({ kind: 'progress', app: project, step: 'push', message: line }),
        }),
      );
    } finally {
      if (!ports.session) session.dispose();
    }
  } catch (e) {
    reporter.emit({ kind: 'step', app: project, step: 'push', status: 'fail', message: (e as Error).message });
    throw e;
  }

  const listed = await imageExists(ports.ecr, plan.record.repository, plan.record.tag);
  if (!listed) reporter.emit({ kind: 'warn', app: project, message: `pushed ${plan.record.imageRef}, but ECR does not list the tag yet` });
  else if (listed.digest !== digest) reporter.emit({ kind: 'warn', app: project, message: `docker reported digest ${digest} but ECR lists ${listed.digest} for ${plan.record.imageRef}` });
  const record: ImageRecord = { ...plan.record, digest, pushedAt: (ports.now?.() ?? new Date()).toISOString() };
  writeImageRecord(resolved, record);
  reporter.emit({ kind: 'step', app: project, step: 'push', status: 'done', message: `pushed ${record.imageRef}@${digest}`, data: { imageRef: record.imageRef, digest } });
  return record;
}

/** What `push --dry-run` shows: read-only, nothing is created, logged in or pushed. */
export async function describePushPlan(resolved: ResolvedApp, ports: PushPorts): Promise<{ lines: string[]; data: Record<string, unknown> }> {
  const policy = lifecyclePolicyFor(resolved.app.lifecycle);
  const lines = [
    `would ensure ECR repository ${resolved.app.repository} (IMMUTABLE tags, scan on push, lifecycle: keep ${resolved.app.lifecycle.keepTaggedImages} tagged, expire untagged after ${resolved.app.lifecycle.untaggedExpireDays} day(s))`,
  ];
  const { facts, builder } = await gatherPushFacts(resolved, ports, { dryRun: true });
  const plan = planPush(facts, builder?.docker, { dryRun: true });
  lines.push(plan.message);
  if (plan.action === 'push') {
    lines.push(`would run: ${formatCommand(plan.commands.login[0], plan.commands.login.slice(1))}   (password from ECR GetAuthorizationToken on stdin, in a temporary DOCKER_CONFIG)`);
    lines.push(`would run: ${formatCommand(plan.commands.push[0], plan.commands.push.slice(1))}`);
  }
  return { lines, data: { action: plan.action, imageRef: plan.record.imageRef, lifecyclePolicy: policy, ...(plan.action === 'push' ? { commands: plan.commands } : { digest: plan.record.digest }) } };
}
