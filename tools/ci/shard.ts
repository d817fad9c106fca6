/**
 * Splits the projects a CI run has to deploy into K shards, one per CI job (a GitHub Actions
 * matrix, GitLab `parallel:`…), for workspaces too big for one runner. Nx 23 has no shard flag for
 * `run-many`/`affected`; this prints the `--projects` list of shard i, and each job runs
 * `nx run-many -t deploy --projects=<list>` on its own. docs/scaling.md shows the whole setup.
 *
 *   node --import tsx tools/ci/shard.ts --shard 2/4 [--target deploy] [--base <ref>] [--head <ref>] [--all] [--json]
 *
 * Which projects: `nx show projects --affected --with-target <target>` (or every project with the
 * target, `--all`). Which shard: rendezvous hashing of the project name (`shardOf`), so a project's
 * shard depends on nothing but its name and K: adding or removing other projects never moves it,
 * and going from K to K+1 shards moves only the ~1/(K+1) of projects that now land on the new one.
 * The price is balance: shard sizes are binomial around N/K instead of the exact N/K±1 of dealing
 * out a sorted list round-robin (which, in turn, reshuffles every project after an insertion).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { exec, FerryError } from '@ferry/core';

/** Shard `index` of `total`, both 1-based as CI matrices count (`--shard 2/4`). */
export interface Shard {
  index: number;
  total: number;
}

/** What the command was asked for. */
export interface ShardOptions {
  shard: Shard;
  /** The Nx target the projects must have (default `deploy`). */
  target: string;
  /** Affected since this ref (Nx's default base when absent: nx.json `defaultBase`). */
  base?: string;
  head?: string;
  /** Every project with the target, not only the affected ones. */
  all: boolean;
  json: boolean;
}

/** Lists project names by running Nx with these arguments (`show projects …`). */
export type ListProjects = (nxArgs: string[]) => Promise<string[]>;

const USAGE = 'Usage: npm run -s shard -- --shard <i>/<K> [--target deploy] [--base <ref>] [--head <ref>] [--all] [--json]';
/** More shards than this is a typo, not a CI matrix (GitHub allows 256 jobs per matrix). */
const MAX_SHARDS = 256;

function usage(message: string): FerryError {
  return new FerryError('USAGE', `${message}\n${USAGE}`, { exitCode: 2 });
}

/** `"2/4"` -> {index: 2, total: 4}; anything else is a USAGE error (exit 2) saying what to pass. */
export function parseShard(text: string | undefined): Shard {
  if (text === undefined || text === '') throw usage('--shard is required: which shard this job runs, e.g. --shard 2/4 (the 2nd of 4).');
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw usage(`--shard must look like <i>/<K>, e.g. --shard 2/4 (got '${text}').`);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1 || total > MAX_SHARDS) throw usage(`--shard ${text}: K must be between 1 and ${MAX_SHARDS} (got ${total}).`);
  if (index < 1 || index > total) throw usage(`--shard ${text}: i counts from 1 to K, so use 1/${total} … ${total}/${total} (got ${index}).`);
  return { index, total };
}

/** Rendezvous weight of `project` on shard `index`: the first 64 bits of sha256("<index>\0<project>"). */
function weight(project: string, index: number): bigint {
  return createHash('sha256').update(`${index}\0${project}`).digest().readBigUInt64BE(0);
}

/** The 1-based shard a project belongs to out of `total`: the shard where its weight is highest. */
export function shardOf(project: string, total: number): number {
  let best = 1;
  let bestWeight = -1n;
  for (let i = 1; i <= total; i++) {
    const w = weight(project, i);
    if (w > bestWeight) {
      best = i;
      bestWeight = w;
    }
  }
  return best;
}

/** All `total` shards, each sorted by name; duplicates are dropped. Index 0 holds shard 1. */
export function splitIntoShards(projects: readonly string[], total: number): string[][] {
  const shards: string[][] = Array.from({ length: total }, () => []);
  for (const p of [...new Set(projects)].sort()) shards[shardOf(p, total) - 1].push(p);
  return shards;
}

/** The projects of one shard, sorted. */
export function projectsOfShard(projects: readonly string[], shard: Shard): string[] {
  return splitIntoShards(projects, shard.total)[shard.index - 1];
}

/** Reads the command line; unknown flags and missing values are USAGE errors (exit 2). */
export function parseCli(argv: readonly string[]): ShardOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        shard: { type: 'string' },
        target: { type: 'string', short: 't', default: 'deploy' },
        base: { type: 'string' },
        head: { type: 'string' },
        all: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw usage((e as Error).message);
  }
  const target = values.target ?? 'deploy';
  if (!/^[\w.:-]+$/.test(target)) throw usage(`--target must be an Nx target name such as deploy (got '${target}').`);
  if (values.all && (values.base || values.head)) throw usage('--all lists every project with the target; drop --base/--head, or drop --all to get the affected ones.');
  return { shard: parseShard(values.shard), target, base: values.base, head: values.head, all: values.all ?? false, json: values.json ?? false };
}

/** The `nx` arguments that list the candidate projects (pure: tested as data). */
export function nxShowArgs(o: Pick<ShardOptions, 'target' | 'base' | 'head' | 'all'>): string[] {
  const args = ['show', 'projects', '--with-target', o.target, '--json'];
  if (!o.all) args.push('--affected');
  if (o.base) args.push(`--base=${o.base}`);
  if (o.head) args.push(`--head=${o.head}`);
  return args;
}

/** `nx show projects …` in `root` with the workspace's own Nx, daemon off; parses its JSON list. */
export function nxListProjects(root: string): ListProjects {
  return async (nxArgs) => {
    const r = await exec(process.execPath, [nxBin(root), ...nxArgs], {
      cwd: root,
      env: { NX_DAEMON: 'false', NX_TUI: 'false', NX_NO_CLOUD: 'true' },
      nothrow: true,
    });
    const out = r.stdout;
    const shown = `nx ${nxArgs.join(' ')}`;
    const details = r.stderr.split('\n').map((l) => l.trim()).filter(Boolean).slice(-15);
    if (r.exitCode !== 0) {
      throw new FerryError('GRAPH_FAILED', `\`${shown}\` failed (exit ${r.exitCode}). Run \`npx ${shown}\` in ${root} to see why; a --base ref must exist in this clone (CI: fetch-depth 0).`, { details });
    }
    try {
      const list = JSON.parse(out.slice(out.indexOf('[')));
      if (!Array.isArray(list) || list.some((p) => typeof p !== 'string')) throw new Error('not a list of names');
      return list;
    } catch {
      throw new FerryError('GRAPH_FAILED', `\`${shown}\` did not print a JSON list of projects. Run \`npx ${shown}\` in ${root} to see what it prints.`, { details: [out.slice(0, 300)] });
    }
  };
}

function nxBin(root: string): string {
  try {
    const pkgFile = createRequire(join(root, 'package.json')).resolve('nx/package.json');
    const bin = (JSON.parse(readFileSync(pkgFile, 'utf8')) as { bin: Record<string, string> }).bin.nx;
    return join(dirname(pkgFile), bin);
  } catch {
    throw new FerryError('GRAPH_FAILED', `Nx is not installed in ${root} (no node_modules/nx). Run \`npm install\` in the workspace root.`);
  }
}

/** The whole command: parse, list, split, print. Returns the exit code. */
export async function main(argv: readonly string[], io: { out: (s: string) => void; err: (s: string) => void; list: ListProjects }): Promise<number> {
  try {
    const o = parseCli(argv);
    const mine = projectsOfShard(await io.list(nxShowArgs(o)), o.shard);
    io.out(o.json ? `${JSON.stringify(mine)}\n` : `${mine.join(',')}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof FerryError)) throw e;
    io.err(`shard: ${e.message}\n${e.details.map((d) => `  ${d}\n`).join('')}`);
    return e.exitCode;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), list: nxListProjects(process.cwd()) }).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`shard: internal error, please report it: ${(e as Error)?.stack ?? e}\n`);
      process.exitCode = 70;
    },
  );
}
