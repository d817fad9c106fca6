/**
 * `docker build` command lines as data. Everything the user configures (tags, paths, build args,
 * labels) becomes separate array elements, so it can never be interpreted by a shell.
 */
import type { BuilderKind } from './builder.ts';

/** Options for one image build. Paths are absolute. */
export interface DockerBuildOptions {
  builder: { kind: BuilderKind; buildCommand: string[] };
  /** Image references to tag the result with (`registry/repo:tag`). At least one. */
  tags: string[];
  dockerfile: string;
  context: string;
  /** e.g. `linux/amd64`. */
  platform?: string;
  buildArgs?: Record<string, string>;
  labels?: Record<string, string>;
  /** Local images whose layers may be reused. */
  cacheFrom?: string[];
  /** `host` when the engine has no bridge network (RUN steps would fail with "network bridge not found"). */
  network?: string;
}

/** Label keys ferry sets on every image. */
export const LABELS = {
  revision: 'org.opencontainers.image.revision',
  source: 'org.opencontainers.image.source',
  contentTag: 'ferry.content-tag',
  project: 'ferry.project',
} as const;

const sortedEntries = (r: Record<string, string> | undefined) => Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** The arguments after the docker binary, e.g. `['build', '--file', …, context]`. Pure. */
export function dockerBuildArgs(o: DockerBuildOptions): string[] {
  if (o.tags.length === 0) throw new Error('dockerBuildArgs: at least one tag is required');
  const bk = o.builder.kind !== 'legacy';
  const args = [...o.builder.buildCommand];
  if (bk) args.push('--progress=plain');
  // The legacy builder keeps the container of a failed step unless told otherwise.
  else args.push('--force-rm');
  args.push('--file', o.dockerfile);
  for (const t of o.tags) args.push('--tag', t);
  if (o.platform) args.push('--platform', o.platform);
  const buildArgs = { ...o.buildArgs };
  // BuildKit reuses an image given to --cache-from only when it carries inline cache metadata, so
  // every BuildKit-built image gets it for the next build.
  if (bk) buildArgs.BUILDKIT_INLINE_CACHE = '1';
  for (const [k, v] of sortedEntries(buildArgs)) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of sortedEntries(o.labels)) args.push('--label', `${k}=${v}`);
  for (const c of o.cacheFrom ?? []) args.push('--cache-from', c);
  if (o.network) args.push('--network', o.network);
  if (o.builder.kind === 'buildx') args.push('--load');
  args.push(o.context);
  return args;
}

/** A command for people to read or paste (single-quoted where needed). Never executed. */
export function formatCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
