/**
 * The docker CLI operations ferry needs: build, look up local images, log in to a registry in a
 * throw-away config directory, push. Each failure becomes a FerryError that says what to do; any
 * command output shown to people passes through `redact` first (the printer then masks the run's
 * secrets too).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError, redact, SANDBOX_UP, type SecretSet } from '@ferry/core';
import type { DockerBuilder } from './builder.ts';
import { parseBuildFailure } from './build-output.ts';
import { runProcess, tailLines, type RunOptions, type RunProcess } from './process.ts';

/** What went wrong, read from docker's output. Pure. */
export type DockerFailureKind = 'engine-down' | 'registry-unreachable' | 'unauthorized' | 'immutable-tag' | 'other';

export function classifyDockerFailure(output: string): DockerFailureKind {
  if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|docker\.sock: connect/i.test(output)) return 'engine-down';
  if (/cannot be overwritten because the repository is immutable|tag invalid/i.test(output)) return 'immutable-tag';
  if (/connection refused|no such host|i\/o timeout|no route to host|connection reset by peer|TLS handshake timeout|dial tcp|Client\.Timeout exceeded|EOF\s*$|\b50[234] (Service Unavailable|Bad Gateway|Gateway Time-?out)|status(?: code)?:? 50[234]\b/im.test(output)) return 'registry-unreachable';
  if (/unauthorized|authentication required|denied|401/i.test(output)) return 'unauthorized';
  return 'other';
}

/** Ports the docker operations use; defaults are the real process runner and environment. */
export interface DockerContext {
  builder: DockerBuilder;
  run?: RunProcess;
  env?: NodeJS.ProcessEnv;
  /** The run's secrets (`runSecrets`): a password given to `dockerLogin` is added to them. */
  secrets?: Pick<SecretSet, 'add'>;
}

const run = (ctx: DockerContext, args: readonly string[], opts: RunOptions = {}) =>
  (ctx.run ?? runProcess)(ctx.builder.docker, args, { baseEnv: ctx.env ?? process.env, ...opts });

function engineDown(ctx: DockerContext, output: string): FerryError {
  const host = (ctx.env ?? process.env).DOCKER_HOST;
  return new FerryError('DOCKER_UNAVAILABLE', `Docker engine not reachable${host ? ` at ${host}` : ''}. Start Docker (or \`${SANDBOX_UP}\` starts one here), or fix DOCKER_HOST.`, {
    details: tailLines(redact(output), 3),
  });
}

/**
 * Runs a build (`args` from `dockerBuildArgs`). Output lines stream to `onLine` as they come.
 * BUILD_FAILED names the failing Dockerfile step and shows the tail of what it printed.
 */
export async function dockerBuild(ctx: DockerContext, args: string[], opts: { onLine?: (line: string) => void; signal?: AbortSignal } = {}): Promise<void> {
  const r = await run(ctx, args, { env: ctx.builder.env, onLine: opts.onLine ? (l) => opts.onLine!(redact(l)) : undefined, signal: opts.signal });
  if (r.code === 0) return;
  if (opts.signal?.aborted) throw new FerryError('INTERRUPTED', 'Build interrupted.');
  if (classifyDockerFailure(r.output) === 'engine-down') throw engineDown(ctx, r.output);
  const failure = parseBuildFailure(redact(r.output));
  const where = failure.step ? ` at ${failure.step}` : '';
  throw new FerryError('BUILD_FAILED', `docker build failed${where}: ${failure.error}`, {
    details: [...failure.output.map((l) => `  | ${l}`), 'Fix the Dockerfile or the build context, then run build-image again (`--verbose` streams the whole build output).'],
  });
}

/** A local image: its id and registry digests. Null when there is no image with that reference. */
export async function inspectLocalImage(ctx: DockerContext, ref: string): Promise<{ id: string; repoDigests: string[] } | null> {
  const r = await run(ctx, ['image', 'inspect', '--format', '{{.Id}} {{json .RepoDigests}}', ref]);
  if (r.code !== 0) {
    if (classifyDockerFailure(r.output) === 'engine-down') throw engineDown(ctx, r.output);
    return null;
  }
  const [id, digests] = r.stdout.trim().split(' ');
  let repoDigests: string[] = [];
  try {
    repoDigests = JSON.parse(digests ?? '[]') ?? [];
  } catch {
    // an engine that prints no digests: leave empty
  }
  return { id, repoDigests };
}

/** Local `repository:tag` references of one repository, newest first. */
export async function listLocalImages(ctx: DockerContext, repository: string): Promise<string[]> {
  const r = await run(ctx, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', repository]);
  if (r.code !== 0) {
    if (classifyDockerFailure(r.output) === 'engine-down') throw engineDown(ctx, r.output);
    return [];
  }
  return r.stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.endsWith(':<none>'));
}

/** A registry login living in its own temporary DOCKER_CONFIG. Call `dispose` when done (always). */
export interface LoginSession {
  configDir: string;
  dispose(): void;
}

/**
 * Logs in to `registry` in a fresh DOCKER_CONFIG directory (mode 0700) so the credentials never
 * touch the user's ~/.docker and disappear with `dispose()`. The password goes through stdin only.
 * The user's contexts and CLI plugins are linked in so the same engine and plugins are used.
 */
export async function dockerLogin(ctx: DockerContext, registry: string, username: string, password: string): Promise<LoginSession> {
  ctx.secrets?.add(password);
  const configDir = mkdtempSync(join(tmpdir(), 'ferry-docker-config-')); // mkdtemp creates it 0700
  const dispose = () => rmSync(configDir, { recursive: true, force: true });
  try {
    carryOverUserConfig(ctx.env ?? process.env, configDir);
    const r = await run(ctx, ['login', '--password-stdin', '--username', username, registry], { input: password, env: { DOCKER_CONFIG: configDir } });
    if (r.code !== 0) throw loginOrPushError(ctx, 'log in to', registry, r.output);
    return { configDir, dispose };
  } catch (e) {
    dispose();
    throw e;
  }
}

function carryOverUserConfig(env: NodeJS.ProcessEnv, configDir: string): void {
  const source = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  for (const name of ['contexts', 'cli-plugins']) {
    if (existsSync(join(source, name))) symlinkSync(join(source, name), join(configDir, name));
  }
  try {
    const current = JSON.parse(readFileSync(join(source, 'config.json'), 'utf8')).currentContext;
    if (typeof current === 'string') writeFileSync(join(configDir, 'config.json'), JSON.stringify({ currentContext: current }), { mode: 0o600 });
  } catch {
    // no user config: the defaults apply
  }
}

/** Pushes `ref` with the login in `configDir`; returns the pushed manifest digest. */
export async function dockerPush(ctx: DockerContext, ref: string, opts: { configDir: string; onLine?: (line: string) => void; signal?: AbortSignal }): Promise<string> {
  const r = await run(ctx, ['push', ref], { env: { DOCKER_CONFIG: opts.configDir }, onLine: opts.onLine ? (l) => opts.onLine!(redact(l)) : undefined, signal: opts.signal });
  if (r.code !== 0) {
    if (opts.signal?.aborted) throw new FerryError('INTERRUPTED', 'Push interrupted.');
    throw loginOrPushError(ctx, 'push to', registryOf(ref), r.output, ref);
  }
  const digest = parsePushDigest(r.output);
  if (digest) return digest;
  const image = await inspectLocalImage(ctx, ref);
  const repo = ref.slice(0, ref.lastIndexOf(':'));
  const fromInspect = image?.repoDigests.find((d) => d.startsWith(`${repo}@`))?.split('@')[1];
  if (!fromInspect) throw new FerryError('PUSH_FAILED', `docker push ${ref} finished but reported no digest.`, { details: tailLines(redact(r.output), 5) });
  return fromInspect;
}

/** `latest: digest: sha256:… size: 528` -> `sha256:…`. Pure. */
export function parsePushDigest(output: string): string | undefined {
  return /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1];
}

/** `127.0.0.1:5000/a/b:tag` -> `127.0.0.1:5000`. */
export function registryOf(ref: string): string {
  return ref.split('/')[0];
}

function loginOrPushError(ctx: DockerContext, verb: string, registry: string, output: string, ref?: string): FerryError {
  const details = tailLines(redact(output), 5);
  switch (classifyDockerFailure(output)) {
    case 'engine-down':
      return engineDown(ctx, output);
    case 'registry-unreachable':
      return new FerryError('REGISTRY_UNREACHABLE', `Cannot reach the registry ${registry}${ref ? ` to push ${ref}` : ''}. Is it running (\`${SANDBOX_UP}\` for the local sandbox), and is \`registry\` in ferry.json right?`, { details });
    case 'immutable-tag':
      return new FerryError('PUSH_FAILED', `The registry refused ${ref}: the tag already exists and the repository is IMMUTABLE. Another image was pushed under this content tag; run build-image and push again, or check for a concurrent pipeline.`, { details });
    case 'unauthorized':
      return new FerryError('PUSH_FAILED', `The registry ${registry} refused the credentials when trying to ${verb} it. Check ecr:GetAuthorizationToken / push permissions for this environment.`, { details });
    default:
      return new FerryError('PUSH_FAILED', `Failed to ${verb} ${registry}${ref ? ` (${ref})` : ''}.`, { details });
  }
}
