/**
 * The hand-over file between targets: build-image writes what it built (or found), push adds the
 * digest, and the deploy targets read the image reference from it.
 * Lives at `<projectRoot>/dist/ferry/<env>/image.json` (gitignored, per environment).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ResolvedApp } from '@ferry/core';

/** Summary of the content-tag inputs, enough to explain a tag without the full file list. */
export interface ImageInputsSummary {
  files: number;
  dockerfile: string;
  platform: string;
  /** Build arg names (values may be environment specific; they are in the tag hash anyway). */
  buildArgs: string[];
  externalPackages: number;
  dirty: boolean;
}

/** `<projectRoot>/dist/ferry/<env>/image.json`. */
export interface ImageRecord {
  project: string;
  environment: string;
  registry: string;
  repository: string;
  /** The content tag (`ft-…`). */
  tag: string;
  /** `<registry>/<repository>:<tag>`. */
  imageRef: string;
  /** Manifest digest in the registry, once known (after push, or when the tag was already there). */
  digest?: string;
  /** Local image id, when the image exists in the local engine. */
  imageId?: string;
  /** When this run built the image; absent when the build was skipped. */
  builtAt?: string;
  /** Why the build was skipped, if it was. */
  buildSkipped?: 'in-registry' | 'local';
  pushedAt?: string;
  builder?: string;
  gitSha: string;
  inputs: ImageInputsSummary;
}

export function imageRecordPath(resolved: Pick<ResolvedApp, 'projectRoot' | 'env'>): string {
  return join(resolved.projectRoot, 'dist', 'ferry', resolved.env.name, 'image.json');
}

/** The record of the last build-image for this app and environment, or undefined. */
export function readImageRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env'>): ImageRecord | undefined {
  try {
    return JSON.parse(readFileSync(imageRecordPath(resolved), 'utf8')) as ImageRecord;
  } catch {
    return undefined;
  }
}

/**
 * Writes the record atomically (temp file + rename): a reader never sees half a file. A record that
 * is already there as it would be written (a no-op's build-image and push) is left untouched.
 */
export function writeImageRecord(resolved: Pick<ResolvedApp, 'projectRoot' | 'env'>, record: ImageRecord): string {
  const file = imageRecordPath(resolved);
  const text = JSON.stringify(record, null, 2) + '\n';
  try {
    if (readFileSync(file, 'utf8') === text) return file;
  } catch {
    // not there yet
  }
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return file;
}
