/**
 * The Docker port of the ECS sandbox: the only file that talks to the engine. Tasks run on the
 * host network only (NetworkMode "host"); tini is PID 1 only when the task definition asks for it.
 */
import Docker from 'dockerode';

/** A container to run for one task container. */
export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  entryPoint?: string[];
  env: string[];
  labels: Record<string, string>;
  workingDirectory?: string;
  user?: string;
  stopTimeoutSeconds: number;
  /** tini as PID 1 (`linuxParameters.initProcessEnabled`, as on ECS). */
  init: boolean;
}

/** Raised when an image can't be pulled; the message becomes `CannotPullContainerError: …`. */
export class PullError extends Error {}

export interface ContainerState {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  exitCode?: number;
  error?: string;
}

/** The narrow set of engine calls the ECS sandbox makes. */
export interface TaskRuntime {
  /** Pull `image` (always for the sandbox registry, like ECS's default pull behaviour; otherwise only when missing). */
  /** Pulls (or finds) the image; resolves to its manifest digest when it comes from a registry (undefined for a local-only image). */
  ensureImage(image: string): Promise<string | void>;
  /** Create and start; returns the container id. Throws on create/start failure. */
  run(spec: ContainerSpec): Promise<string>;
  /** Resolves with the exit code once the container exits. */
  wait(id: string): Promise<number>;
  /** SIGTERM, then SIGKILL after `timeoutSeconds`. */
  stop(id: string, timeoutSeconds: number): Promise<void>;
  inspect(id: string): Promise<ContainerState | undefined>;
  remove(id: string): Promise<void>;
  /** Run a command inside the container; `undefined` exit code on timeout. */
  exec(id: string, cmd: string[], timeoutMs: number): Promise<number | undefined>;
  /** Containers (running or not) carrying all of `labels`. */
  list(labels: Record<string, string>): Promise<ContainerState[]>;
  /** Calls `onLine` with each stdout/stderr line from the container's start; resolves when its output ends. */
  follow?(id: string, onLine: (line: string, timestampMs: number) => void): Promise<void>;
}

/** A registry the sandbox hosts: images from it are always pulled, with its credentials. */
export interface SandboxRegistry {
  host: string;
  auth: { username: string; password: string };
}

export function dockerRuntime(opts: { registries: SandboxRegistry[] }): TaskRuntime {
  const docker = new Docker();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  async function hasImage(image: string) {
    try {
      await docker.getImage(image).inspect();
      return true;
    } catch {
      return false;
    }
  }

  return {
    async ensureImage(image) {
      const fromSandboxRegistry = opts.registries.find((r) => image.startsWith(`${r.host}/`));
      if (!fromSandboxRegistry && (await hasImage(image))) return;
      const ref = /:[^/]+$/.test(image) || image.includes('@') ? image : `${image}:latest`;
      try {
        const stream = await docker.pull(ref, {
          authconfig: fromSandboxRegistry
            ? { username: fromSandboxRegistry.auth.username, password: fromSandboxRegistry.auth.password, serveraddress: fromSandboxRegistry.host }
            : undefined,
        });
        // The engine reports the manifest digest it resolved as a `Digest: sha256:…` progress line.
        const events = await new Promise<Array<{ status?: string }>>((resolve, reject) => {
          docker.modem.followProgress(stream, (err: Error | null, output: Array<{ status?: string }>) => (err ? reject(err) : resolve(output ?? [])));
        });
        const reported = events.map((e) => /^Digest: (sha256:[a-f0-9]{64})$/.exec(e.status ?? '')?.[1]).find(Boolean);
        return reported ?? /@(sha256:[a-f0-9]{64})$/.exec(ref)?.[1];
      } catch (e) {
        throw new PullError(`pull image manifest has been retried 1 time(s): failed to resolve ref ${ref}: ${(e as Error).message.trim()}`);
      }
    },

    async run(spec) {
      const container = await docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Cmd: spec.command,
        Entrypoint: spec.entryPoint,
        Env: spec.env,
        Labels: spec.labels,
        WorkingDir: spec.workingDirectory,
        User: spec.user,
        StopTimeout: spec.stopTimeoutSeconds,
        HostConfig: { NetworkMode: 'host', Init: spec.init },
      });
      try {
        await container.start();
      } catch (e) {
        await container.remove({ force: true }).catch(() => {});
        throw e;
      }
      return container.id;
    },

    async wait(id) {
      const r = (await docker.getContainer(id).wait()) as { StatusCode: number };
      return r.StatusCode;
    },

    async stop(id, timeoutSeconds) {
      try {
        await docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (e) {
        const code = (e as { statusCode?: number }).statusCode;
        if (code !== 304 && code !== 404) throw e;
      }
    },

    async inspect(id) {
      try {
        const i = await docker.getContainer(id).inspect();
        return { id: i.Id, labels: i.Config.Labels ?? {}, running: i.State.Running, exitCode: i.State.ExitCode, error: i.State.Error || undefined };
      } catch {
        return undefined;
      }
    },

    async remove(id) {
      await docker
        .getContainer(id)
        .remove({ force: true })
        .catch(() => {});
    },

    async exec(id, cmd, timeoutMs) {
      const ex = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
      const stream = await ex.start({ hijack: true, stdin: false });
      stream.resume();
      const ended = new Promise<'done'>((resolve) => {
        stream.on('end', () => resolve('done'));
        stream.on('close', () => resolve('done'));
        stream.on('error', () => resolve('done'));
      });
      const r = await Promise.race([ended, sleep(timeoutMs).then(() => 'timeout' as const)]);
      if (r === 'timeout') {
        stream.destroy();
        return undefined;
      }
      for (let i = 0; i < 20; i++) {
        const info = await ex.inspect();
        if (!info.Running && info.ExitCode !== null) return info.ExitCode;
        await sleep(25);
      }
      return undefined;
    },

    async follow(id, onLine) {
      const stream = (await docker.getContainer(id).logs({ follow: true, stdout: true, stderr: true, timestamps: true })) as NodeJS.ReadableStream;
      let rest = '';
      const emit = (text: string) => {
        rest += text;
        const lines = rest.split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) {
          const m = /^(\S+Z) (.*)$/.exec(l);
          onLine(m ? m[2] : l, m ? Date.parse(m[1]) || Date.now() : Date.now());
        }
      };
      const sink = { write: (c: Buffer) => (emit(c.toString('utf8')), true) } as unknown as NodeJS.WritableStream;
      docker.modem.demuxStream(stream, sink, sink);
      await new Promise<void>((resolve) => {
        stream.on('end', () => resolve());
        stream.on('close', () => resolve());
        stream.on('error', () => resolve());
      });
      if (rest) emit('\n');
    },

    async list(labels) {
      const all = await docker.listContainers({
        all: true,
        filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      });
      return all.map((c) => ({ id: c.Id, labels: c.Labels ?? {}, running: c.State === 'running' }));
    },
  };
}
