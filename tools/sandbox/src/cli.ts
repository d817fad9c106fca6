/**
 * `tsx tools/sandbox/src/cli.ts <up|down|status|serve> [--port N] [--registry-port N] [--data-dir DIR]`
 *   up      start the sandbox in the background (idempotent) and print how to use it
 *   down    stop it, the registry, and every task container it started
 *   status  say whether it runs and print its endpoints
 *   serve   run it in the foreground (what `up` spawns)
 */
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxAdmin } from './client.ts';
import { CONSOLE_PATH } from './console/page.ts';
import { startProcess } from '../../../libs/ferry/core/src/exec.ts';
import { SANDBOX_UP } from '../../../libs/ferry/core/src/commands.ts';
import { docker, ensureEngine } from './docker.ts';
import { ensureBaseImage } from './base-image.ts';
import { registryFiles, stopStaleRegistry } from './registry/process.ts';
import { defaultDataDir, resolvePorts, startSandbox } from './sandbox.ts';

/** A problem the user can fix: printed without a stack. */
class CliError extends Error {}

interface Flags {
  dataDir: string;
  port: number;
  registryPort: number;
}

/** What `serve` records so `down`/`status` find the running server. */
interface Runtime {
  pid: number;
  endpoint: string;
  registryHost: string;
  containerLabel: string;
}

export function parseArgs(argv: string[]): { command: string; flags: Flags } {
  const [command = 'help', ...rest] = argv;
  const raw: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const m = /^--(port|registry-port|data-dir)(?:=(.*))?$/.exec(rest[i]);
    if (!m) throw new CliError(`unknown argument '${rest[i]}'; usage: sandbox <up|down|status|serve> [--port N] [--registry-port N] [--data-dir DIR]`);
    const value = m[2] ?? rest[++i];
    if (value === undefined) throw new CliError(`--${m[1]} needs a value`);
    raw[m[1]] = value;
  }
  const port = (name: string) => {
    if (raw[name] === undefined) return undefined;
    const n = Number(raw[name]);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new CliError(`--${name} '${raw[name]}' is not a port number (1-65535)`);
    return n;
  };
  const ports = resolvePorts({ port: port('port'), registryPort: port('registry-port') });
  return { command, flags: { dataDir: raw['data-dir'] ? resolve(raw['data-dir']) : defaultDataDir(), ...ports } };
}

const runtimeFile = (dataDir: string) => join(dataDir, 'sandbox.json');
const logFile = (dataDir: string) => join(dataDir, 'sandbox.log');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The recorded server, if its pid is still a sandbox server (pids get reused after a crash). */
function readRuntime(dataDir: string): Runtime | undefined {
  try {
    const rt = JSON.parse(readFileSync(runtimeFile(dataDir), 'utf8')) as Runtime;
    const cmdline = readFileSync(`/proc/${rt.pid}/cmdline`, 'utf8');
    return alive(rt.pid) && cmdline.includes('serve') ? rt : undefined;
  } catch {
    return undefined;
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    return (await sandboxAdmin(endpoint).health()).ok === true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function printInfo(endpoint: string): Promise<void> {
  const info = await sandboxAdmin(endpoint).info();
  const lines = [
    `ferry sandbox running`,
    `  API (ECS + ECR):  ${info.endpoint}`,
    `  console:          ${info.endpoint}${CONSOLE_PATH}   (read-only, live)`,
    `  registry:         ${info.registryHost}   (docker login: aws ecr get-login-password | docker login -u AWS --password-stdin ${info.registryHost})`,
    ...Object.entries((info as { registries?: Record<string, string> }).registries ?? {})
      .filter(([, host]) => host !== info.registryHost)
      .map(([account, host]) => `  registry ${account}: ${host}   (ECR calls with registryId ${account})`),
    `  base image:       ${info.baseImage}`,
    `  data:             ${info.dataDir}`,
    `  ECS API:          ${info.ecs ? 'yes' : 'not available (tools/sandbox/src/ecs missing)'}`,
    ``,
    `export these to point the AWS SDK/CLI at it:`,
    ...Object.entries(info.env as Record<string, string>).map(([k, v]) => `  export ${k}=${v}`),
  ];
  const lbs = Object.entries((info.ecs?.loadBalancers ?? {}) as Record<string, string>);
  lines.push('', lbs.length ? 'service load balancers:' : 'service load balancers: none yet (create a service with loadBalancers)');
  for (const [service, url] of lbs) lines.push(`  ${service}  ${url}`);
  console.log(lines.join('\n'));
}

async function up(flags: Flags): Promise<void> {
  mkdirSync(flags.dataDir, { recursive: true });
  const running = readRuntime(flags.dataDir);
  if (running && (await healthy(running.endpoint))) {
    await printInfo(running.endpoint);
    return;
  }
  await ensureEngine();
  await ensureBaseImage({ log: (m) => console.log(m) });
  const endpoint = `http://127.0.0.1:${flags.port}`;
  if (await healthy(endpoint)) {
    throw new CliError(`another sandbox already answers on ${endpoint} (different data directory?); stop it, or pass --port/--registry-port`);
  }
  const log = openSync(logFile(flags.dataDir), 'a');
  // From the sources this file needs tsx; bundled into the npm package it is plain JavaScript.
  const loader = import.meta.url.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
  const child = startProcess(
    process.execPath,
    [...loader, fileURLToPath(import.meta.url), 'serve', '--data-dir', flags.dataDir, '--port', String(flags.port), '--registry-port', String(flags.registryPort)],
    { detached: true, stdio: ['ignore', log, log], nothrow: true },
  );
  closeSync(log);
  child.unref();
  let exited: number | null | undefined;
  void child.result.then((r) => (exited = r.exitCode));
  const deadline = Date.now() + 90_000;
  while (!(await healthy(endpoint))) {
    if (exited !== undefined || Date.now() > deadline) {
      const tail = readFileSync(logFile(flags.dataDir), 'utf8').split('\n').slice(-15).join('\n');
      if (exited === undefined) child.kill('SIGTERM');
      throw new CliError(`the sandbox did not start${exited !== undefined ? ` (exit ${exited})` : ' within 90 s'}; last lines of ${logFile(flags.dataDir)}:\n${tail}`);
    }
    await sleep(250);
  }
  await printInfo(endpoint);
}

/** Ids of the task containers of this data directory's sandbox (label ferry.sandbox=<instance id>). */
async function taskContainers(label: string): Promise<string[]> {
  const ps = await docker(['ps', '-aq', '--filter', `label=${label}`]);
  return ps.stdout.split('\n').filter(Boolean);
}

async function down(flags: Flags): Promise<void> {
  const rt = readRuntime(flags.dataDir);
  const idFile = join(flags.dataDir, 'instance-id');
  const label = existsSync(idFile) ? `ferry.sandbox=${readFileSync(idFile, 'utf8').trim()}` : undefined;
  // Counted before the server's shutdown removes them, so the count says what `down` removed.
  const before = label ? await taskContainers(label).catch(() => []) : [];
  if (rt) {
    try {
      await fetch(`${rt.endpoint}/_sandbox/shutdown`, { method: 'POST', body: JSON.stringify({ removeTasks: true }), signal: AbortSignal.timeout(5000) });
    } catch {
      process.kill(rt.pid, 'SIGTERM');
    }
    const deadline = Date.now() + 60_000;
    while (alive(rt.pid) && Date.now() < deadline) await sleep(200);
    if (alive(rt.pid)) process.kill(rt.pid, 'SIGKILL');
    console.log(`sandbox server stopped (pid ${rt.pid})`);
  } else {
    console.log('sandbox server: not running');
  }
  rmSync(runtimeFile(flags.dataDir), { force: true });
  await stopStaleRegistry(registryFiles(flags.dataDir));
  // The extra accounts' registries (FERRY_SANDBOX_REGISTRY_ACCOUNTS), each under accounts/<id>/.
  const accounts = join(flags.dataDir, 'accounts');
  for (const id of existsSync(accounts) ? readdirSync(accounts) : []) await stopStaleRegistry(registryFiles(join(accounts, id)));
  // Task containers of this data directory's sandbox, in case the server could not remove them.
  if (label) {
    const left = await taskContainers(label);
    if (left.length) await docker(['rm', '-f', ...left]);
    console.log(`task containers removed: ${new Set([...before, ...left]).size}`);
  }
}

async function status(flags: Flags): Promise<void> {
  const rt = readRuntime(flags.dataDir);
  if (!rt || !(await healthy(rt.endpoint))) {
    console.log(`sandbox: not running (data directory ${flags.dataDir}); start it with ${SANDBOX_UP}`);
    process.exitCode = 3;
    return;
  }
  await printInfo(rt.endpoint);
}

async function serve(flags: Flags): Promise<void> {
  if (readRuntime(flags.dataDir)?.pid) throw new CliError(`a sandbox server already runs for ${flags.dataDir}; use status or down`);
  const sb = await startSandbox({ dataDir: flags.dataDir, port: flags.port, registryPort: flags.registryPort });
  const rt: Runtime = { pid: process.pid, endpoint: sb.endpoint, registryHost: sb.registryHost, containerLabel: `${sb.ctx.containerLabel.key}=${sb.ctx.containerLabel.value}` };
  writeFileSync(runtimeFile(flags.dataDir), JSON.stringify(rt, null, 2));
  let stopping = false;
  const stop = async (removeTasks: boolean) => {
    if (stopping) return;
    stopping = true;
    sb.ctx.log(`stopping${removeTasks ? ' (removing task containers)' : ''}`);
    await sb.stop({ removeTasks });
    rmSync(runtimeFile(flags.dataDir), { force: true });
    process.exit(0);
  };
  sb.onShutdownRequest(() => void stop(false));
  process.on('SIGTERM', () => void stop(false));
  process.on('SIGINT', () => void stop(false));
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  switch (command) {
    case 'up':
      return up(flags);
    case 'down':
      return down(flags);
    case 'status':
      return status(flags);
    case 'serve':
      return serve(flags);
    default:
      throw new CliError(`unknown command '${command}'; usage: sandbox <up|down|status|serve> [--port N] [--registry-port N] [--data-dir DIR]`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    if (err instanceof CliError) console.error(`sandbox: ${err.message}`);
    else console.error(`sandbox: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  });
}
