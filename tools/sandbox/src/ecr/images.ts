import { AwsError } from '../context.ts';
import type { RegistryClient } from '../registry/client.ts';
import type { RepositoryRecord } from './store.ts';

/** An image (one manifest) in a repository, as the ECR API sees it. */
export interface ImageEntry {
  digest: string;
  tags: string[];
  /** Epoch milliseconds. */
  pushedAt: number;
}

/** Every image of a repository, newest push first; tags sorted for stable output. */
export function listRepositoryImages(registry: RegistryClient, repo: RepositoryRecord): ImageEntry[] {
  const manifests = registry.manifests(repo.repositoryName);
  const byDigest = new Map<string, ImageEntry>();
  for (const [digest, linkedAt] of manifests) {
    byDigest.set(digest, { digest, tags: [], pushedAt: repo.pushedAt[digest] ?? linkedAt.getTime() });
  }
  for (const [tag, digest] of registry.tags(repo.repositoryName)) byDigest.get(digest)?.tags.push(tag);
  const images = [...byDigest.values()];
  for (const img of images) img.tags.sort();
  return images.sort((a, b) => b.pushedAt - a.pushedAt || a.digest.localeCompare(b.digest));
}

export interface ManifestFacts {
  mediaType: string;
  artifactMediaType?: string;
  sizeInBytes: number;
}

/** Size and media types from a manifest body: the sum of layer sizes (of child manifests for an index). */
export function manifestFacts(body: string, headerMediaType: string): ManifestFacts {
  const doc = JSON.parse(body) as {
    mediaType?: string;
    config?: { mediaType?: string; size?: number };
    layers?: Array<{ size?: number }>;
    manifests?: Array<{ size?: number }>;
  };
  const mediaType = doc.mediaType ?? headerMediaType;
  const sum = (xs: Array<{ size?: number }> | undefined) => (xs ?? []).reduce((n, x) => n + (x.size ?? 0), 0);
  return {
    mediaType,
    artifactMediaType: doc.config?.mediaType,
    sizeInBytes: doc.layers ? sum(doc.layers) : sum(doc.manifests),
  };
}

/** Opaque pagination over an already-ordered list. */
export function paginate<T>(items: T[], maxResults: unknown, nextToken: unknown, limit = 1000): { page: T[]; nextToken?: string } {
  const max = maxResults === undefined ? limit : Number(maxResults);
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    throw new AwsError('InvalidParameterException', `maxResults must be an integer from 1 to ${limit}`);
  }
  let start = 0;
  if (nextToken !== undefined) {
    start = Number(Buffer.from(String(nextToken), 'base64url').toString('utf8'));
    if (!Number.isInteger(start) || start < 0) throw new AwsError('InvalidParameterException', 'nextToken is invalid');
  }
  const page = items.slice(start, start + max);
  const end = start + page.length;
  return { page, nextToken: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined };
}
