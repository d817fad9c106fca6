/**
 * The tag itself: what a tag is made of (TagInputs) and the hash over it. The scheme is a contract:
 * images in registries are keyed by these tags, so the same inputs must give the same tag on every
 * machine, in every version of ferry, until TAG_SCHEME is bumped on purpose.
 */
import { createHash } from 'node:crypto';

/** Everything that went into a tag; comparing two of these explains why tags differ. */
export interface TagInputs {
  /** Workspace-relative `/` paths with their git blob shas, sorted by path. */
  files: { path: string; sha: string }[];
  /** Git blob sha of the Dockerfile. */
  dockerfile: string;
  buildArgs: Record<string, string>;
  platform: string;
  /** Lock-file location (`chalk`, `a/node_modules/b`) -> resolved version. */
  externalPackages: Record<string, string>;
  /** Build tooling that shapes the bundle: name -> sha256 (e.g. the compiler options of tsconfig.base.json). */
  tooling: Record<string, string>;
  /** Some input differs from HEAD (modified, staged or untracked): the tag names unpublished content. */
  dirty: boolean;
}

export interface ContentTag {
  /** `ft-` + 20 hex characters: a valid ECR/Docker tag. */
  tag: string;
  inputs: TagInputs;
}

/** Bump when the way inputs are hashed changes, so old and new tags never collide. */
const TAG_SCHEME = 'ferry-content-tag/1';

/** The tag for `inputs` (pure: same inputs, same tag on every machine). */
export function tagFromInputs(inputs: TagInputs): string {
  const h = createHash('sha256');
  h.update(`${TAG_SCHEME}\n`);
  for (const f of inputs.files) h.update(`file\0${f.path}\0${f.sha}\n`);
  h.update(`dockerfile\0${inputs.dockerfile}\n`);
  for (const k of Object.keys(inputs.buildArgs).sort()) h.update(`arg\0${k}\0${inputs.buildArgs[k]}\n`);
  h.update(`platform\0${inputs.platform}\n`);
  for (const k of Object.keys(inputs.externalPackages).sort()) h.update(`pkg\0${k}\0${inputs.externalPackages[k]}\n`);
  for (const k of Object.keys(inputs.tooling).sort()) h.update(`tool\0${k}\0${inputs.tooling[k]}\n`);
  return `ft-${h.digest('hex').slice(0, 20)}`;
}

/** JSON with sorted keys at every level: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** The sha git gives `content` as a blob (`git hash-object` without filters). */
export function gitBlobSha(content: Buffer): string {
  return createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

export function sortRecord(r: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}
