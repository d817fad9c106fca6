/**
 * The build-image step: gather the facts (content tag, what the registry and the local engine
 * already hold, which builder), plan (pure: skip, or the exact docker command), then apply.
 * `--dry-run` prints the plan; the executor runs the same plan.
 */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import {
  FerryError,
  computeContentTag,
  contentTagMemo,
  getProjectGraph,
  gitRevision,
  gitRemoteUrl,
  sessionPart,
  Slots,
  type ContentTag,
  type Reporter,
  type ResolvedApp,
  type RunSession,
} from '@ferry/core';
import { configuredRegistry, imageExists, registryFor, type EcrPort } from '@ferry/aws';
import { checkEngine, detectBuilder, type DockerBuilder, type EngineInfo } from './builder.ts';
import { LABELS, dockerBuildArgs, formatCommand } from './build-args.ts';
import { dockerBuild, inspectLocalImage, listLocalImages, type DockerContext } from './docker.ts';
import { imageRecordPath, writeImageRecord, type ImageInputsSummary, type ImageRecord } from './image-record.ts';
import type { RunProcess } from './process.ts';

/** Everything planBuildImage decides from. Gathered by `gatherBuildFacts`; tests build it by hand. */
export interface BuildImageFacts {
  resolved: ResolvedApp;
  contentTag: ContentTag;
  git: { sha: string; dirty: boolean };
  registry: string;
  /** Undefined when the image is in the registry already (nothing to build: no docker client was started). */
  builder?: DockerBuilder;
  /** Undefined when the image is in the registry already (nothing to build, the engine was not asked). */
  engine?: EngineInfo;
  /** The tag in ECR: its digest, null when absent, `unknown` when the registry could not be asked (dry run only). */
  inRegistry: { digest: string } | null | 'unknown';
  /** The image with this exact reference in the local engine. */
  local: { id: string } | null;
  /** Other local tags of the repository, newest first (candidates for --cache-from). */
  localTags: string[];
  dockerfileExists: boolean;
  /** Repository URL for the OCI source label, without credentials. */
  sourceUrl?: string;
}

export interface BuildImageOptions {
  /** Allow a tag computed from uncommitted changes for a non-sandbox environment. */
  allowDirty?: boolean;
}

/** A docker command as data. */
export interface CommandSpec {
  cmd: string;
  args: string[];
  /** Environment additions for the command (never secrets). */
  env: Record<string, string>;
}

export type BuildImagePlan =
  | { action: 'skip'; reason: 'in-registry' | 'local'; message: string; record: ImageRecord; warnings: string[] }
  | { action: 'build'; message: string; command: CommandSpec; builder: DockerBuilder; record: ImageRecord; warnings: string[] };

export function imageRefOf(registry: string, repository: string, tag: string): string {
  return `${registry}/${repository}:${tag}`;
}

export function summarizeInputs(tag: ContentTag): ImageInputsSummary {
  const i = tag.inputs;
  return {
    files: i.files.length,
    dockerfile: i.dockerfile,
    platform: i.platform,
    buildArgs: Object.keys(i.buildArgs).sort(),
    externalPackages: Object.keys(i.externalPackages).length,
    dirty: i.dirty,
  };
}

/** Decides what build-image does. Pure. */
export function planBuildImage(f: BuildImageFacts, opts: BuildImageOptions = {}): BuildImagePlan {
  const { app, env, projectRoot } = f.resolved;
  const tag = f.contentTag.tag;
  const imageRef = imageRefOf(f.registry, app.repository, tag);
  const warnings: string[] = [];
  if (f.contentTag.inputs.dirty && env.kind !== 'sandbox') {
    if (!opts.allowDirty) {
      throw new FerryError(
        'USAGE',
        `The content tag of ${app.project} includes uncommitted changes; refusing to build it for '${env.name}'. Commit your changes first: a dirty tag cannot be reproduced (or pass --allow-dirty).`,
      );
    }
    warnings.push(`building ${tag} from uncommitted changes for '${env.name}' (--allow-dirty): nobody can rebuild this exact image from git`);
  }
  const record: ImageRecord = {
    project: app.project,
    environment: env.name,
    registry: f.registry,
    repository: app.repository,
    tag,
    imageRef,
    gitSha: f.git.sha,
    ...(f.builder ? { builder: f.builder.kind } : {}),
    inputs: summarizeInputs(f.contentTag),
  };

  if (f.inRegistry && f.inRegistry !== 'unknown') {
    return {
      action: 'skip',
      reason: 'in-registry',
      message: `${imageRef} is already in the registry, nothing to build`,
      record: { ...record, digest: f.inRegistry.digest, buildSkipped: 'in-registry', ...(f.local ? { imageId: f.local.id } : {}) },
      warnings,
    };
  }
  const builder = f.builder;
  if (!builder) throw new Error(`build facts of ${app.project} without a builder although ${imageRef} is not in the registry`);
  if (builder.warning) warnings.push(builder.warning);
  if (f.local) {
    return {
      action: 'skip',
      reason: 'local',
      message: `${imageRef} already exists locally, nothing to build (push will upload it)`,
      record: { ...record, imageId: f.local.id, buildSkipped: 'local' },
      warnings,
    };
  }
  if (f.inRegistry === 'unknown') warnings.push('the registry was not checked (it did not answer): a real run may find the image there and skip the build');

  const dockerfile = resolve(projectRoot, app.dockerfile);
  if (!f.dockerfileExists) {
    throw new FerryError('CONFIG_INVALID', `No Dockerfile at ${dockerfile} for ${app.project}. Create it, or set \`dockerfile\` in ${app.file}.`);
  }
  const labels: Record<string, string> = {
    [LABELS.revision]: f.git.sha || 'uncommitted',
    [LABELS.contentTag]: tag,
    [LABELS.project]: app.project,
  };
  if (f.sourceUrl) labels[LABELS.source] = f.sourceUrl;
  const cacheFrom = f.localTags.filter((t) => t !== imageRef).slice(0, 1);
  const args = dockerBuildArgs({
    builder,
    tags: [imageRef],
    dockerfile,
    context: resolve(projectRoot, app.context),
    platform: app.platform,
    buildArgs: { ...app.buildArgs, FERRY_CONTENT_TAG: tag, FERRY_GIT_SHA: f.git.sha || 'uncommitted' },
    labels,
    cacheFrom,
    network: f.engine?.hasBridge === false ? 'host' : undefined,
  });
  return {
    action: 'build',
    message: `building ${imageRef} with ${builder.kind === 'legacy' ? 'the legacy builder' : `BuildKit (${builder.kind})`}${cacheFrom.length ? `, cache from ${cacheFrom[0]}` : ''}`,
    command: { cmd: builder.docker, args, env: builder.env },
    builder,
    record,
    warnings,
  };
}

/** The side effects build-image needs. */
export interface BuildImagePorts {
  ecr: EcrPort;
  reporter: Reporter;
  run?: RunProcess;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  now?: () => Date;
  /** The run: its git snapshot, content tags and docker probe are shared with the run's other tasks. */
  session?: RunSession;
}

/** Reads the world for planBuildImage: git, the content tag, ECR, the local engine. */
export async function gatherBuildFacts(resolved: ResolvedApp, ports: BuildImagePorts, opts: { dryRun?: boolean } = {}): Promise<BuildImageFacts> {
  const { app, env, workspaceRoot, projectRoot } = resolved;
  const graph = await getProjectGraph(workspaceRoot, ports.session);
  const [contentTag, git] = await Promise.all([computeContentTag(resolved, graph, ports.session && contentTagMemo(ports.session)), gitRevision(workspaceRoot, ports.session)]);
  ports.reporter.emit({ kind: 'step', app: app.project, step: 'tag', status: 'done', message: `content tag ${contentTag.tag}${contentTag.inputs.dirty ? ' (dirty)' : ''}`, data: { tag: contentTag.tag, dirty: contentTag.inputs.dirty } });

  // The registry first: an image that is there needs no docker client at all, and on a no-op that
  // is every app (the batch's prefetch has usually asked already: the run keeps images found).
  // Otherwise the client probe (once per run) follows; the app's own bundle, which a build waits
  // for next, is being built in the background meanwhile (prefetch.ts), so the probe costs no time.
  let registry: string;
  let inRegistry: BuildImageFacts['inRegistry'];
  try {
    registry = await registryFor(env, ports.ecr);
    inRegistry = await imageExists(ports.ecr, app.repository, contentTag.tag);
  } catch (e) {
    // A dry run still shows the build command when the sandbox is down; a real run must know.
    const known = configuredRegistry(env);
    if (!opts.dryRun || !known) throw e;
    registry = known;
    inRegistry = 'unknown';
    ports.reporter.emit({ kind: 'warn', app: app.project, message: `registry not checked: ${(e as Error).message}` });
  }
  const imageRef = imageRefOf(registry, app.repository, contentTag.tag);
  // In the registry already: nothing will be built, so no docker client is started (a no-op
  // deploy of many apps would otherwise start five per app). A dry run shows all.
  if (inRegistry && inRegistry !== 'unknown' && !opts.dryRun) {
    return { resolved, contentTag, git, registry, inRegistry, local: null, localTags: [], dockerfileExists: existsSync(resolve(projectRoot, app.dockerfile)) };
  }
  // The image's source label, for an image to build only (a git process a no-op does not start).
  const sourceUrl = gitRemoteUrl(workspaceRoot, ports.session).then(sourceUrlOf);
  sourceUrl.catch(() => undefined);
  const builder = await detectBuilder({ env: ports.env, run: ports.run, session: ports.session });
  const docker: DockerContext = { builder, run: ports.run, env: ports.env };
  // Two docker clients at once, and the engine check (once per run); it speaks first when the engine is down.
  const asked = Promise.all([inspectLocalImage(docker, imageRef), listLocalImages(docker, `${registry}/${app.repository}`)]);
  asked.catch(() => undefined);
  const engine = await checkEngine(builder, { env: ports.env, run: ports.run, session: ports.session });
  const [local, localTags] = await asked;
  return {
    resolved,
    contentTag,
    git,
    registry,
    builder,
    engine,
    inRegistry,
    local: local ? { id: local.id } : null,
    localTags,
    dockerfileExists: existsSync(resolve(projectRoot, app.dockerfile)),
    sourceUrl: await sourceUrl,
  };
}

/** The OCI source label value: a remote URL without credentials; a local path (a clone of a clone) is not a source. */
export function sourceUrlOf(remote: string): string | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/|^[\w.-]+@[\w.-]+:/i.test(remote) || remote.startsWith('file://')) return undefined;
  return stripCredentials(remote);
}

/** `https://user:token@host/x.git` -> `https://host/x.git`. */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]+@/i, '$1');
}

/**
 * The run's image builds: CPU-bound, so at most one per core at a time. Only `docker build` waits
 * for a slot, not the rest of a build-image task (its registry question, and above all its wait for
 * the app's bundle), so K changed apps all get ready at once and only their builds queue.
 */
export const imageBuilds = sessionPart('image builds', () => new Slots(Math.max(1, cpus().length)));

/** Carries out a plan: writes the record for a skip, or runs the build and records the result. */
export async function applyBuildImage(resolved: ResolvedApp, plan: BuildImagePlan, ports: BuildImagePorts): Promise<ImageRecord> {
  const project = resolved.app.project;
  const { reporter } = ports;
  for (const w of plan.warnings) reporter.emit({ kind: 'warn', app: project, message: w });
  if (plan.action === 'skip') {
    writeImageRecord(resolved, plan.record);
    reporter.emit({ kind: 'step', app: project, step: 'build-image', status: 'skip', message: plan.message, data: { imageRef: plan.record.imageRef, reason: plan.reason } });
    return plan.record;
  }
  reporter.emit({ kind: 'step', app: project, step: 'build-image', status: 'start', message: plan.message, data: { command: [plan.command.cmd, ...plan.command.args] } });
  const docker: DockerContext = { builder: plan.builder, run: ports.run, env: ports.env };
  const started = Date.now();
  try {
    const build = () => dockerBuild(docker, plan.command.args, { onLine: (line) => reporter.emit({ kind: 'progress', app: project, step: 'build-image', message: line }), signal: ports.signal });
    await (ports.session ? ports.session.use(imageBuilds).run(build) : build());
  } catch (e) {
    reporter.emit({ kind: 'step', app: project, step: 'build-image', status: 'fail', message: (e as Error).message });
    throw e;
  }
  const image = await inspectLocalImage(docker, plan.record.imageRef);
  const record: ImageRecord = { ...plan.record, imageId: image?.id, builtAt: (ports.now?.() ?? new Date()).toISOString() };
  const file = writeImageRecord(resolved, record);
  reporter.emit({
    kind: 'step',
    app: project,
    step: 'build-image',
    status: 'done',
    message: `built ${record.imageRef} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
    data: { imageRef: record.imageRef, imageId: record.imageId, record: file },
  });
  return record;
}

/** The plan as lines for `--dry-run`. */
export function describeBuildPlan(plan: BuildImagePlan, resolved: ResolvedApp): { lines: string[]; data: Record<string, unknown> } {
  const lines = [plan.message, ...plan.warnings.map((w) => `warning: ${w}`)];
  if (plan.action === 'build') {
    lines.push(`would run: ${formatCommand(plan.command.cmd, plan.command.args)}`);
    lines.push(`argv: ${JSON.stringify([plan.command.cmd, ...plan.command.args])}`);
    if (Object.keys(plan.command.env).length) lines.push(`with env: ${Object.entries(plan.command.env).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  lines.push(`would record: ${imageRecordPath(resolved)}`);
  return {
    lines,
    data: {
      action: plan.action,
      ...(plan.action === 'skip' ? { reason: plan.reason } : { command: [plan.command.cmd, ...plan.command.args], env: plan.command.env }),
      imageRef: plan.record.imageRef,
      tag: plan.record.tag,
      record: imageRecordPath(resolved),
    },
  };
}
