/**
 * ECR images as the registry holds them: listing a repository's images, resolving an imageId (by
 * tag and/or digest) the way ECR does, manifest facts (cached per digest), deleting an image, and the
 * push time the sandbox records when it sees a manifest arrive.
 */
import type { StateStore } from '../context.ts';
import type { RegistryClient } from '../registry/client.ts';
import { listRepositoryImages, manifestFacts, type ImageEntry, type ManifestFacts } from './images.ts';
import { isDigest, isImageTag } from './names.ts';
import type { EcrState, RepositoryRecord } from './store.ts';

/** ECR's ImageIdentifier. */
export interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

/** What resolving an imageId gives: the image, or the failure code and reason BatchGetImage reports. */
export type Resolved = { image: ImageEntry } | { failureCode: string; failureReason: string };

/** How ECR's messages print an imageId: `{imageDigest:'…', imageTag:'…'}`. */
export const imageIdText = (id: ImageId) => `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;

/** Resolves an imageId among a repository's images (ECS-SEMANTICS §5 failure codes). */
export function resolveImage(images: ImageEntry[], id: ImageId): Resolved {
  if (!id || (id.imageDigest === undefined && id.imageTag === undefined)) return { failureCode: 'MissingDigestAndTag', failureReason: 'Missing image digest and tag' };
  if (id.imageDigest !== undefined && !isDigest(id.imageDigest)) return { failureCode: 'InvalidImageDigest', failureReason: 'Invalid image digest' };
  if (id.imageTag !== undefined && !isImageTag(id.imageTag)) return { failureCode: 'InvalidImageTag', failureReason: 'Invalid image tag' };
  const byTag = id.imageTag !== undefined ? images.find((i) => i.tags.includes(id.imageTag!)) : undefined;
  const byDigest = id.imageDigest !== undefined ? images.find((i) => i.digest === id.imageDigest) : undefined;
  if (id.imageTag !== undefined && id.imageDigest !== undefined) {
    if (byTag && byDigest && byTag !== byDigest) return { failureCode: 'ImageTagDoesNotMatchDigest', failureReason: 'Image tag does not match digest' };
    if (byTag && byDigest) return { image: byTag };
    return { failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
  }
  const image = byTag ?? byDigest;
  return image ? { image } : { failureCode: 'ImageNotFound', failureReason: 'Requested image not found' };
}

/** A repository's images in the registry, with the sandbox's push times. */
export class RegistryImages {
  private readonly factsCache = new Map<string, ManifestFacts>();

  constructor(
    readonly registry: RegistryClient,
    private readonly store: StateStore<EcrState>,
  ) {}

  /** Every image of the repository, newest push first. */
  list(r: RepositoryRecord): ImageEntry[] {
    return listRepositoryImages(this.registry, r);
  }

  /** Size and media types of a manifest; cached (a digest's manifest never changes). */
  async facts(name: string, digest: string): Promise<ManifestFacts | undefined> {
    const cached = this.factsCache.get(digest);
    if (cached) return cached;
    const m = await this.registry.getManifest(name, digest);
    if (!m) return undefined;
    const f = manifestFacts(m.body, m.mediaType);
    this.factsCache.set(digest, f);
    return f;
  }

  /** Deletes the manifest (and with it every tag of the image) and forgets its push time. */
  async delete(r: RepositoryRecord, digest: string): Promise<void> {
    await this.registry.deleteManifest(r.repositoryName, digest);
    this.store.update((s) => {
      delete s.repositories[r.repositoryName]?.pushedAt[digest];
    });
  }

  /** The first time the sandbox sees a manifest arrive is its push time. */
  recordPush(name: string, digest: string): void {
    const r = this.store.get().repositories[name];
    if (!r || r.pushedAt[digest] !== undefined) return;
    this.store.update((s) => {
      s.repositories[name].pushedAt[digest] = Date.now();
    });
  }
}
