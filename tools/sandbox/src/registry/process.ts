import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { startProcess } from '../../../../libs/ferry/core/src/exec.ts';

/** The registry's htpasswd user: the same name ECR uses, so `docker login -u AWS` works alike. */
export const REGISTRY_USER = 'AWS';

export interface RegistryFiles {
  dir: string;
  storageDir: string;
  configFile: string;
  htpasswdFile: string;
  passwordFile: string;
  pidFile: string;
  logFile: string;
}

export function registryFiles(dataDir: string): RegistryFiles {
  const dir = join(dataDir, 'registry');
  return {
    dir,
    storageDir: join(dir, 'storage'),
    configFile: join(dir, 'config.yml'),
    htpasswdFile: join(dir, 'htpasswd'),
    passwordFile: join(dir, 'password'),
    pidFile: join(dir, 'registry.pid'),
    logFile: join(dir, 'registry.log'),
  };
}

/** The registry config (JSON is valid YAML): loopback only, filesystem storage, deletes on, htpasswd auth. */
export function registryConfig(files: RegistryFiles, port: number, secret: string): object {
  return {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true }, formatter: 'text' },
    storage: {
      filesystem: { rootdirectory: files.storageDir },
      delete: { enabled: true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: { addr: `127.0.0.1:${port}`, secret },
    auth: { htpasswd: { realm: 'ferry-sandbox', path: files.htpasswdFile } },
  };
}

function writeSecret(file: string, value: string): void {
  writeFileSync(file, value, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/**
 * bcrypt's lowest cost for the htpasswd entry. The registry checks the hash on every request it
 * gets (no cache), and a push makes a dozen: at cost 10 that was ~60 ms of CPU each, most of a
 * small image's push on 2 cores. A cost only slows guessing of a weak password; this one is 24
 * random bytes, never chosen by a person, and the file is the sandbox's own (mode 0600, loopback).
 */
export const HTPASSWD_COST = 4;

/**
 * The registry password, generated once per data directory and kept (mode 0600) so images and
 * `docker login` sessions survive restarts. The htpasswd entry is rewritten when missing.
 */
export function ensureCredentials(files: RegistryFiles): { password: string; secret: string } {
  mkdirSync(files.storageDir, { recursive: true });
  if (!existsSync(files.passwordFile)) writeSecret(files.passwordFile, randomBytes(24).toString('base64url'));
  const password = readFileSync(files.passwordFile, 'utf8').trim();
  const secretFile = join(files.dir, 'http-secret');
  if (!existsSync(secretFile)) writeSecret(secretFile, randomBytes(24).toString('base64url'));
  const secret = readFileSync(secretFile, 'utf8').trim();
  let valid = false;
  if (existsSync(files.htpasswdFile)) {
    const line = readFileSync(files.htpasswdFile, 'utf8').split('\n').find((l) => l.startsWith(`${REGISTRY_USER}:`));
    const hash = line?.slice(REGISTRY_USER.length + 1).replace(/^\$2y\$/, '$2b$');
    valid = !!hash && bcrypt.getRounds(hash) === HTPASSWD_COST && bcrypt.compareSync(password, hash);
  }
  if (!valid) {
    // Apache's htpasswd writes bcrypt as $2y$; the registry (Go bcrypt) reads it.
    const hash = bcrypt.hashSync(password, HTPASSWD_COST).replace(/^\$2[ab]\$/, '$2y$');
    writeSecret(files.htpasswdFile, `${REGISTRY_USER}:${hash}\n`);
  }
  return { password, secret };
}

function processCmdline(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return undefined;
  }
}

/** Stops a registry left running by a crashed sandbox for the same data directory (by its pid file). */
export async function stopStaleRegistry(files: RegistryFiles): Promise<void> {
  if (!existsSync(files.pidFile)) return;
  const pid = Number(readFileSync(files.pidFile, 'utf8').trim());
  const cmd = Number.isInteger(pid) && pid > 0 ? processCmdline(pid) : undefined;
  if (cmd && cmd.includes('docker-registry') && cmd.includes(files.configFile)) {
    process.kill(pid, 'SIGTERM');
    for (let i = 0; i < 50 && processCmdline(pid); i++) await new Promise((r) => setTimeout(r, 100));
    if (processCmdline(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(files.pidFile, { force: true });
}

/** A running docker-registry child process. */
export interface RegistryProcess {
  port: number;
  stop(): Promise<void>;
}

export const REGISTRY_BINARY = process.env.FERRY_REGISTRY_BINARY ?? '/usr/bin/docker-registry';

/** Starts `docker-registry serve` on 127.0.0.1:port and waits until it answers `/v2/`. */
export async function startRegistry(files: RegistryFiles, port: number, secret: string): Promise<RegistryProcess> {
  if (!existsSync(REGISTRY_BINARY)) {
    throw new Error(`docker-registry not found at ${REGISTRY_BINARY}; install it (Debian: apt-get install docker-registry) or set FERRY_REGISTRY_BINARY`);
  }
  await stopStaleRegistry(files);
  writeFileSync(files.configFile, JSON.stringify(registryConfig(files, port, secret), null, 2), { mode: 0o600 });
  const log = openSync(files.logFile, 'a');
  // A long-running child: its output goes to the log file, its exit is watched, stop() signals it.
  const child = startProcess(REGISTRY_BINARY, ['serve', files.configFile], { stdio: ['ignore', log, log], nothrow: true });
  closeSync(log);
  writeFileSync(files.pidFile, String(child.pid));
  let exited = false;
  // A test or server that dies without stop() must not leave a registry holding its port.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const ended = child.result.then(() => {
    exited = true;
    process.off('exit', killOnExit);
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited) throw new Error(`docker-registry exited during start-up; see ${files.logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/`);
      if (res.status === 401 || res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port} within 15 s; see ${files.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await ended;
        clearTimeout(timer);
      }
      rmSync(files.pidFile, { force: true });
    },
  };
}
