/**
 * Which docker client and which builder to use. Machines differ: Docker Desktop has buildx; a Debian
 * docker.io 20.10 client runs BuildKit through its built-in builder with DOCKER_BUILDKIT=1; a newer
 * client without the buildx plugin (23+) only has the deprecated legacy builder. We probe what is
 * installed rather than assume, prefer BuildKit, and cache the answer for the process.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { FerryError, PromiseMemo, redact, SANDBOX_UP, sessionPart, type RunSession } from '@ferry/core';
import { runProcess, tailLines, type RunProcess } from './process.ts';

/** How images are built. */
export type BuilderKind =
  /** `docker buildx build --load`: BuildKit through the buildx plugin. */
  | 'buildx'
  /** `docker build` with DOCKER_BUILDKIT=1: BuildKit in the engine, driven by a pre-23 client. */
  | 'buildkit'
  /** `docker build` with the legacy builder: no BuildKit (slower, no --cache-from metadata). */
  | 'legacy';

/** The detected builder: what to run and with which environment. */
export interface DockerBuilder {
  kind: BuilderKind;
  /** Absolute path (or the name) of the docker client binary. */
  docker: string;
  clientVersion: string;
  buildxVersion?: string;
  /** Subcommand words before the build options: `['buildx', 'build']` or `['build']`. */
  buildCommand: string[];
  /** Environment the build runs with (DOCKER_BUILDKIT…). */
  env: Record<string, string>;
  /** Set when the choice is a compromise the user should know about. */
  warning?: string;
}

/** What probing one docker client found. */
export interface ClientProbe {
  path: string;
  /** Where the candidate came from. */
  source: 'FERRY_DOCKER' | 'PATH' | 'system';
  /** `docker --version` output, or undefined when the binary did not run. */
  versionOutput?: string;
  /** `docker buildx version` output when it exited 0. */
  buildxOutput?: string;
}

/** `Docker version 28.2.2, build e6534b4` -> `28.2.2`. */
export function parseClientVersion(text: string | undefined): string | undefined {
  return text ? /Docker version ([0-9][^\s,]*)/i.exec(text)?.[1] : undefined;
}

/** `github.com/docker/buildx v0.11.2 9872040` -> `v0.11.2`. */
export function parseBuildxVersion(text: string | undefined): string | undefined {
  return text ? /buildx\s+(v?\d+\.\d+[^\s]*)/i.exec(text)?.[1] : undefined;
}

/**
 * Clients from 18.09 up to 22.x can drive the engine's BuildKit themselves with DOCKER_BUILDKIT=1;
 * from 23.0 the client hands BuildKit builds to the buildx plugin and fails without it.
 */
export function legacyClientCanUseBuildKit(version: string | undefined): boolean {
  const m = version ? /^(\d+)\.(\d+)/.exec(version) : null;
  if (!m) return false;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return (major > 18 || (major === 18 && minor >= 9)) && major < 23;
}

/**
 * Picks the builder from probed clients (in preference order). Pure: the probing is done by
 * `detectBuilder`. Any client with buildx wins, then a client whose built-in builder does BuildKit,
 * then the first working client with the legacy builder.
 */
export function chooseBuilder(probes: ClientProbe[]): DockerBuilder {
  const working = probes.filter((p) => parseClientVersion(p.versionOutput));
  if (working.length === 0) {
    const tried = probes.map((p) => `${p.path} (${p.source})`).join(', ') || 'docker';
    throw new FerryError('DOCKER_UNAVAILABLE', `No docker client found (tried ${tried}). Install Docker, or set FERRY_DOCKER to the docker binary.`);
  }
  // Default provenance attestations turn the pushed image into a manifest list with an unknown/unknown
  // entry, which confuses registries and ECS platform checks.
  const attestation = { BUILDX_NO_DEFAULT_ATTESTATIONS: '1' };
  for (const p of working) {
    const buildx = parseBuildxVersion(p.buildxOutput);
    if (buildx) {
      return { kind: 'buildx', docker: p.path, clientVersion: parseClientVersion(p.versionOutput)!, buildxVersion: buildx, buildCommand: ['buildx', 'build'], env: attestation };
    }
  }
  for (const p of working) {
    const version = parseClientVersion(p.versionOutput)!;
    if (legacyClientCanUseBuildKit(version)) {
      return { kind: 'buildkit', docker: p.path, clientVersion: version, buildCommand: ['build'], env: { DOCKER_BUILDKIT: '1' } };
    }
  }
  const first = working[0];
  return {
    kind: 'legacy',
    docker: first.path,
    clientVersion: parseClientVersion(first.versionOutput)!,
    buildCommand: ['build'],
    // Without this a 23+ client refuses to build at all when buildx is missing.
    env: { DOCKER_BUILDKIT: '0' },
    warning: `No BuildKit available (docker ${parseClientVersion(first.versionOutput)} at ${first.path} has no buildx plugin): building with the legacy builder. Install docker-buildx for faster, cacheable builds.`,
  };
}

/** Finds `name` on PATH like a shell would. */
export function whichOnPath(name: string, pathVar: string | undefined): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/** Candidate clients in preference order: FERRY_DOCKER alone when set; else PATH's docker, then /usr/bin/docker when it is a different binary. */
export function candidateClients(env: NodeJS.ProcessEnv): Array<Pick<ClientProbe, 'path' | 'source'>> {
  if (env.FERRY_DOCKER) return [{ path: env.FERRY_DOCKER, source: 'FERRY_DOCKER' }];
  const out: Array<Pick<ClientProbe, 'path' | 'source'>> = [];
  const onPath = whichOnPath('docker', env.PATH);
  if (onPath) out.push({ path: onPath, source: 'PATH' });
  const system = '/usr/bin/docker';
  if (whichOnPath('docker', '/usr/bin') && (!onPath || realpathOr(onPath) !== realpathOr(system))) out.push({ path: system, source: 'system' });
  if (out.length === 0) out.push({ path: 'docker', source: 'PATH' });
  return out;
}

/** The run's docker client probes, per FERRY_DOCKER and PATH: one probe per run. */
export const dockerBuilders = sessionPart('docker client probes', () => new PromiseMemo<DockerBuilder>());

/** Probes the installed docker clients and picks the builder; with a session, once per run (per FERRY_DOCKER and PATH). */
export function detectBuilder(opts: { env?: NodeJS.ProcessEnv; run?: RunProcess; session?: RunSession } = {}): Promise<DockerBuilder> {
  const env = opts.env ?? process.env;
  const probe = () => probeClients(candidateClients(env), opts.run ?? runProcess, env).then(chooseBuilder);
  if (!opts.session) return probe();
  return opts.session.use(dockerBuilders).get(`${env.FERRY_DOCKER ?? ''}\0${env.PATH ?? ''}`, probe);
}

async function probeClients(candidates: Array<Pick<ClientProbe, 'path' | 'source'>>, run: RunProcess, env: NodeJS.ProcessEnv): Promise<ClientProbe[]> {
  return Promise.all(
    candidates.map(async (c) => {
      const probe: ClientProbe = { ...c };
      try {
        // Both questions at once: a client without buildx fails the second one quickly.
        const [v, b] = await Promise.all([run(c.path, ['--version'], { baseEnv: env }), run(c.path, ['buildx', 'version'], { baseEnv: env }).catch(() => undefined)]);
        if (v.code === 0) probe.versionOutput = v.stdout;
        if (probe.versionOutput && b?.code === 0) probe.buildxOutput = b.stdout;
      } catch {
        // Not executable: left without versionOutput.
      }
      return probe;
    }),
  );
}

/** What the engine behind the client reports. */
export interface EngineInfo {
  serverVersion: string;
  /** False when the engine runs without the default bridge network (dockerd --bridge=none): builds must use the host network. */
  hasBridge: boolean;
}

/**
 * The run's engine checks: an engine that answered once in this run is not asked again by every
 * app that builds (two docker clients each, K at once beside the apps' bundles). A failed check is
 * not kept: the next app asks again and reports in its own words; a build on an engine gone since
 * reports its own failure.
 */
export const engineChecks = sessionPart('docker engine checks', () => new PromiseMemo<EngineInfo>());

/** Checks that the engine answers; DOCKER_UNAVAILABLE with the next step when it does not. With a session, once per run and engine. */
export function checkEngine(builder: Pick<DockerBuilder, 'docker'>, opts: { env?: NodeJS.ProcessEnv; run?: RunProcess; session?: RunSession } = {}): Promise<EngineInfo> {
  if (!opts.session) return askEngine(builder, opts);
  const env = opts.env ?? process.env;
  const key = [builder.docker, env.DOCKER_HOST, env.DOCKER_CONTEXT, env.DOCKER_CONFIG].map((v) => v ?? '').join('\0');
  return opts.session.use(engineChecks).get(key, () => askEngine(builder, opts));
}

async function askEngine(builder: Pick<DockerBuilder, 'docker'>, opts: { env?: NodeJS.ProcessEnv; run?: RunProcess }): Promise<EngineInfo> {
  const run = opts.run ?? runProcess;
  const baseEnv = opts.env ?? process.env;
  const [v, n] = await Promise.all([
    run(builder.docker, ['version', '--format', '{{.Server.Version}}'], { baseEnv }),
    run(builder.docker, ['network', 'ls', '--format', '{{.Name}}'], { baseEnv }),
  ]);
  const serverVersion = v.stdout.trim();
  if (v.code !== 0 || !serverVersion) {
    const where = baseEnv.DOCKER_HOST ? ` at ${baseEnv.DOCKER_HOST}` : '';
    throw new FerryError('DOCKER_UNAVAILABLE', `Docker engine not reachable${where}. Start Docker (or \`${SANDBOX_UP}\` starts one here), or fix DOCKER_HOST.`, {
      details: tailLines(redact(v.stderr), 3),
    });
  }
  const hasBridge = n.code !== 0 || n.stdout.split(/\r?\n/).some((l) => l.trim() === 'bridge');
  return { serverVersion, hasBridge };
}
