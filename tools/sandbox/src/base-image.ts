import { copyFileSync, chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { docker, run } from './docker.ts';

/** The sandbox's Node base image; sandbox-specific so it never shadows an image the user has. */
export const BASE_IMAGE = 'ferry-sandbox/node:20';
const BASE_LABEL = 'ferry.sandbox.base-image';

/** Shared libraries `ldd` lists for a binary, plus its dynamic loader. Pure parse of `ldd` output. */
export function parseLdd(output: string): string[] {
  const libs: string[] = [];
  for (const line of output.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    const loader = /^\s*(\/\S+)\s+\(0x/.exec(line);
    const path = arrow?.[1] ?? loader?.[1];
    if (path && !libs.includes(path)) libs.push(path);
  }
  return libs;
}

async function libsOf(binary: string): Promise<string[]> {
  const r = await run('ldd', [binary]);
  if (r.code !== 0) throw new Error(`ldd ${binary} failed: ${r.stderr.trim()}`);
  return parseLdd(r.stdout);
}

/** Copies a host file to the same path under `root` (following symlinks: the rootfs holds plain files). */
function copyInto(root: string, path: string, as = path): void {
  const dest = join(root, as);
  mkdirSync(dirname(dest), { recursive: true });
  copyFileSync(realpathSync(path), dest);
  chmodSync(dest, 0o755);
}

export async function imageExists(name: string): Promise<boolean> {
  return (await docker(['image', 'inspect', '--format', '{{.Id}}', name])).code === 0;
}

/**
 * Builds `ferry-sandbox/node:20` from host files when it does not exist (idempotent; a no-op
 * costing one `docker image inspect` when it does): the host's node binary and its shared
 * libraries, dash as /bin/sh (CMD-SHELL health checks), /etc/passwd, /tmp. Returns the image name.
 */
export async function ensureBaseImage(opts: { name?: string; nodeBinary?: string; log?: (m: string) => void } = {}): Promise<string> {
  const name = opts.name ?? BASE_IMAGE;
  if (await imageExists(name)) return name;
  const node = realpathSync(opts.nodeBinary ?? process.execPath);
  const shell = realpathSync('/bin/sh');
  opts.log?.(`building base image ${name} from ${node}`);
  const work = mkdtempSync(join(tmpdir(), 'ferry-base-'));
  const root = join(work, 'rootfs');
  const tarFile = join(work, 'rootfs.tar');
  try {
    copyInto(root, node, '/usr/bin/node');
    copyInto(root, shell, '/bin/sh');
    for (const lib of new Set([...(await libsOf(node)), ...(await libsOf(shell))])) copyInto(root, lib);
    mkdirSync(join(root, 'etc'), { recursive: true });
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n');
    writeFileSync(join(root, 'etc/group'), 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n');
    writeFileSync(join(root, 'etc/hosts'), '127.0.0.1 localhost\n::1 localhost\n');
    writeFileSync(join(root, 'etc/nsswitch.conf'), 'hosts: files dns\npasswd: files\ngroup: files\n');
    for (const dir of ['tmp', 'root', 'home/node', 'app']) mkdirSync(join(root, dir), { recursive: true });
    chmodSync(join(root, 'tmp'), 0o1777);
    // The root file system as a temporary tar file, which `docker import` reads by path.
    const tar = await run('tar', ['-C', root, '--owner=0', '--group=0', '-cf', tarFile, '.']);
    if (tar.code !== 0) throw new Error(`tar of the base image's files failed: ${tar.stderr.trim()}`);
    const changes = [
      'ENV PATH=/usr/local/bin:/usr/bin:/bin',
      'ENV NODE_ENV=production',
      'WORKDIR /app',
      'CMD ["node"]',
      `LABEL ${BASE_LABEL}=1`,
    ].flatMap((c) => ['--change', c]);
    const r = await docker(['import', ...changes, tarFile, name]);
    if (r.code !== 0) throw new Error(`docker import of ${name} failed: ${r.stderr.trim()}`);
    const check = await docker(['run', '--rm', '--network', 'host', name, 'node', '-e', 'process.stdout.write(process.version)']);
    if (check.code !== 0) throw new Error(`base image ${name} does not run node: ${check.stderr.trim()}`);
    opts.log?.(`base image ${name} ready (node ${check.stdout})`);
    return name;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
