import { AwsError, type SandboxContext, type SandboxService } from '../context.ts';
import { RegistryApiError, sha256Digest, type RegistryClient } from '../registry/client.ts';
import { evaluateLifecyclePolicy, parseLifecyclePolicy } from './lifecycle.ts';
import { listRepositoryImages, manifestFacts, paginate, type ImageEntry, type ManifestFacts } from './images.ts';
import { assertRepositoryName, isDigest, isImageTag } from './names.ts';
import { getRepository, openEcrState, repositoryNotFound, repositoryOutput, type RepositoryRecord } from './store.ts';

interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

/** What the registry proxy asks the ECR part before letting a push through. */
export interface PushGuard {
  /** A registry-style refusal for a request on repository `name`, or undefined to let it through. */
  checkRepository(name: string): RegistryApiError | undefined;
  /** A refusal for putting manifest `digest` under `tag` (IMMUTABLE repositories), or undefined. */
  checkTagPush(name: string, tag: string, digest: string): Promise<RegistryApiError | undefined>;
  /** Called after the registry accepted a manifest (push time, lifecycle policy). */
  pushed(name: string, digest: string): void;
}

export interface EcrService extends SandboxService, PushGuard {
  /** Applies every repository's lifecycle policy now; returns the number of images expired. */
  applyLifecyclePolicies(): Promise<number>;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The ECR API over the real registry. */
export function createEcrService(ctx: SandboxContext, registry: RegistryClient, opts: { lifecycleIntervalMs?: number } = {}): EcrService {
  const store = openEcrState(ctx);
  const factsCache = new Map<string, ManifestFacts>();
  let timer: NodeJS.Timeout | undefined;
  let pending: NodeJS.Timeout | undefined;
  let applying: Promise<number> = Promise.resolve(0);

  const repo = (name: unknown) => getRepository(ctx, store, name);
  const imageIdText = (id: ImageId) => `{imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'}`;

  async function facts(name: string, digest: string): Promise<ManifestFacts | undefined> {
    const cached = factsCache.get(digest);
    if (cached) return cached;
    const m = await registry.getManifest(name, digest);
    if (!m) return undefined;
    const f = manifestFacts(m.body, m.mediaType);
    factsCache.set(digest, f);
    return f;
  }

  /** Resolves an imageId to an image, or a failure code and reason as BatchGetImage reports them. */
  function resolve(images: ImageEntry[], id: ImageId): { image: ImageEntry } | { failureCode: string; failureReason: string } {
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

  async function deleteImage(r: RepositoryRecord, digest: string): Promise<void> {
    await registry.deleteManifest(r.repositoryName, digest);
    store.update((s) => {
      delete s.repositories[r.repositoryName]?.pushedAt[digest];
    });
  }

  function recordPush(name: string, digest: string): void {
    const r = store.get().repositories[name];
    if (!r || r.pushedAt[digest] !== undefined) return;
    store.update((s) => {
      s.repositories[name].pushedAt[digest] = Date.now();
    });
  }

  async function applyPolicy(r: RepositoryRecord): Promise<number> {
    if (!r.lifecyclePolicyText) return 0;
    const policy = parseLifecyclePolicy(r.lifecyclePolicyText);
    const images = listRepositoryImages(registry, r);
    const expired = evaluateLifecyclePolicy(policy, images, Date.now());
    for (const e of expired) {
      await deleteImage(r, e.digest);
      ctx.log(`ecr lifecycle: expired ${r.repositoryName}@${e.digest} (rule ${e.rulePriority})`);
    }
    store.update((s) => {
      const cur = s.repositories[r.repositoryName];
      if (cur) cur.lifecycleEvaluatedAt = nowSeconds();
    });
    return expired.length;
  }

  /** Serialised so two evaluations never delete concurrently. */
  function applyAll(): Promise<number> {
    applying = applying.then(async () => {
      let n = 0;
      for (const r of Object.values(store.get().repositories)) {
        try {
          n += await applyPolicy(r);
        } catch (err) {
          ctx.log(`ecr lifecycle: ${r.repositoryName}: ${(err as Error).message}`);
        }
      }
      return n;
    });
    return applying;
  }

  function scheduleApply(): void {
    if (pending) clearTimeout(pending);
    pending = setTimeout(() => {
      pending = undefined;
      void applyAll();
    }, 500);
  }

  function registryError(err: unknown): never {
    if (err instanceof RegistryApiError) {
      if (err.code === 'MANIFEST_BLOB_UNKNOWN' || err.code === 'BLOB_UNKNOWN') throw new AwsError('LayersNotFoundException', `The image manifest references layers that are not in the repository: ${err.message}`);
      if (err.code === 'MANIFEST_UNKNOWN') throw new AwsError('ReferencedImagesNotFoundException', `The image index references images that are not in the repository: ${err.message}`);
      if (err.code === 'MANIFEST_INVALID' || err.code === 'DIGEST_INVALID' || err.code === 'TAG_INVALID') throw new AwsError('InvalidParameterException', err.message);
    }
    throw err;
  }

  const handlers: SandboxService['handlers'] = {
    CreateRepository(input) {
      assertRepositoryName(input.repositoryName);
      const name: string = input.repositoryName;
      const mutability = input.imageTagMutability ?? 'MUTABLE';
      if (mutability !== 'MUTABLE' && mutability !== 'IMMUTABLE') {
        throw new AwsError('InvalidParameterException', `imageTagMutability '${mutability}' is not supported by the sandbox; use MUTABLE or IMMUTABLE`);
      }
      if (store.get().repositories[name]) {
        throw new AwsError('RepositoryAlreadyExistsException', `The repository with name '${name}' already exists in the registry with id '${ctx.accountId}'`);
      }
      const record: RepositoryRecord = {
        repositoryName: name,
        createdAt: nowSeconds(),
        imageTagMutability: mutability,
        imageScanningConfiguration: { scanOnPush: input.imageScanningConfiguration?.scanOnPush === true },
        encryptionConfiguration: input.encryptionConfiguration ?? { encryptionType: 'AES256' },
        tags: Array.isArray(input.tags) ? input.tags : [],
        pushedAt: {},
      };
      store.update((s) => {
        s.repositories[name] = record;
      });
      return { repository: repositoryOutput(ctx, record) };
    },

    DescribeRepositories(input) {
      const all = store.get().repositories;
      let list: RepositoryRecord[];
      if (input.repositoryNames !== undefined) {
        if (!Array.isArray(input.repositoryNames) || input.repositoryNames.length === 0) throw new AwsError('InvalidParameterException', 'repositoryNames must be a non-empty list');
        list = input.repositoryNames.map((n: string) => {
          if (!all[n]) throw repositoryNotFound(ctx, n);
          return all[n];
        });
      } else {
        list = Object.values(all).sort((a, b) => a.repositoryName.localeCompare(b.repositoryName));
      }
      const { page, nextToken } = paginate(list, input.maxResults, input.nextToken);
      return { repositories: page.map((r) => repositoryOutput(ctx, r)), nextToken };
    },

    async DeleteRepository(input) {
      const r = repo(input.repositoryName);
      const images = listRepositoryImages(registry, r);
      if (images.length > 0 && input.force !== true) {
        throw new AwsError(
          'RepositoryNotEmptyException',
          `The repository with name '${r.repositoryName}' in registry with id '${ctx.accountId}' cannot be deleted because it still contains images`,
        );
      }
      for (const img of images) await registry.deleteManifest(r.repositoryName, img.digest);
      registry.removeRepository(r.repositoryName);
      store.update((s) => {
        delete s.repositories[r.repositoryName];
      });
      return { repository: repositoryOutput(ctx, r) };
    },

    ListImages(input) {
      const r = repo(input.repositoryName);
      const status = input.filter?.tagStatus ?? 'ANY';
      if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(status)) throw new AwsError('InvalidParameterException', 'filter.tagStatus must be TAGGED, UNTAGGED or ANY');
      const ids: ImageId[] = [];
      for (const img of listRepositoryImages(registry, r)) {
        if (img.tags.length === 0) {
          if (status !== 'TAGGED') ids.push({ imageDigest: img.digest });
        } else if (status !== 'UNTAGGED') {
          for (const t of img.tags) ids.push({ imageDigest: img.digest, imageTag: t });
        }
      }
      const { page, nextToken } = paginate(ids, input.maxResults, input.nextToken);
      return { imageIds: page, nextToken };
    },

    async DescribeImages(input) {
      const r = repo(input.repositoryName);
      const images = listRepositoryImages(registry, r);
      let selected: ImageEntry[];
      if (input.imageIds !== undefined) {
        if (!Array.isArray(input.imageIds) || input.imageIds.length === 0) throw new AwsError('InvalidParameterException', 'imageIds must be a non-empty list');
        selected = [];
        for (const id of input.imageIds as ImageId[]) {
          const found = resolve(images, id);
          if ('failureCode' in found) {
            if (found.failureCode === 'ImageNotFound' || found.failureCode === 'ImageTagDoesNotMatchDigest') {
              throw new AwsError(
                'ImageNotFoundException',
                `The image with imageId ${imageIdText(id)} does not exist within the repository with name '${r.repositoryName}' in the registry with id '${ctx.accountId}'`,
              );
            }
            throw new AwsError('InvalidParameterException', `${found.failureReason}: ${imageIdText(id)}`);
          }
          if (!selected.includes(found.image)) selected.push(found.image);
        }
      } else {
        const status = input.filter?.tagStatus ?? 'ANY';
        if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(status)) throw new AwsError('InvalidParameterException', 'filter.tagStatus must be TAGGED, UNTAGGED or ANY');
        selected = images.filter((i) => status === 'ANY' || (status === 'TAGGED') === i.tags.length > 0);
      }
      const { page, nextToken } = paginate(selected, input.maxResults, input.nextToken);
      const imageDetails = [];
      for (const img of page) {
        const f = await facts(r.repositoryName, img.digest);
        imageDetails.push({
          registryId: ctx.accountId,
          repositoryName: r.repositoryName,
          imageDigest: img.digest,
          ...(img.tags.length > 0 && { imageTags: img.tags }),
          imageSizeInBytes: f?.sizeInBytes ?? 0,
          imagePushedAt: img.pushedAt / 1000,
          imageManifestMediaType: f?.mediaType,
          artifactMediaType: f?.artifactMediaType,
        });
      }
      return { imageDetails, nextToken };
    },

    async BatchGetImage(input) {
      const r = repo(input.repositoryName);
      if (!Array.isArray(input.imageIds) || input.imageIds.length === 0) throw new AwsError('InvalidParameterException', 'imageIds must be a non-empty list');
      const accepted: string[] | undefined = input.acceptedMediaTypes;
      const images = listRepositoryImages(registry, r);
      const out = [];
      const failures = [];
      for (const id of input.imageIds as ImageId[]) {
        const found = resolve(images, id);
        if ('failureCode' in found) {
          failures.push({ imageId: id, failureCode: found.failureCode, failureReason: found.failureReason });
          continue;
        }
        const m = await registry.getManifest(r.repositoryName, found.image.digest);
        if (!m) {
          failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          continue;
        }
        const mediaType = manifestFacts(m.body, m.mediaType).mediaType;
        if (accepted && accepted.length > 0 && !accepted.includes(mediaType)) {
          failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: `The image's manifest media type ${mediaType} is not in acceptedMediaTypes` });
          continue;
        }
        out.push({
          registryId: ctx.accountId,
          repositoryName: r.repositoryName,
          imageId: { imageDigest: found.image.digest, ...(id.imageTag !== undefined && { imageTag: id.imageTag }) },
          imageManifest: m.body,
          imageManifestMediaType: mediaType,
        });
      }
      return { images: out, failures };
    },

    async BatchDeleteImage(input) {
      const r = repo(input.repositoryName);
      if (!Array.isArray(input.imageIds) || input.imageIds.length === 0) throw new AwsError('InvalidParameterException', 'imageIds must be a non-empty list');
      const deleted: ImageId[] = [];
      const failures = [];
      for (const id of input.imageIds as ImageId[]) {
        const images = listRepositoryImages(registry, r);
        const found = resolve(images, id);
        if ('failureCode' in found) {
          failures.push({ imageId: id, failureCode: found.failureCode, failureReason: found.failureReason });
          continue;
        }
        const img = found.image;
        if (id.imageTag !== undefined && img.tags.length > 1) {
          // Removing one of several tags leaves the image; removing the last tag deletes it (as ECR does).
          registry.untag(r.repositoryName, id.imageTag);
          deleted.push({ imageDigest: img.digest, imageTag: id.imageTag });
        } else {
          await deleteImage(r, img.digest);
          if (img.tags.length === 0) deleted.push({ imageDigest: img.digest });
          for (const t of img.tags) deleted.push({ imageDigest: img.digest, imageTag: t });
        }
      }
      return { imageIds: deleted, failures };
    },

    async PutImage(input) {
      const r = repo(input.repositoryName);
      const body: unknown = input.imageManifest;
      if (typeof body !== 'string' || body === '') throw new AwsError('InvalidParameterException', 'imageManifest is required');
      const tag: string | undefined = input.imageTag;
      if (tag !== undefined && !isImageTag(tag)) throw new AwsError('InvalidParameterException', `Invalid parameter at 'imageTag': '${tag}' is not a valid image tag`);
      let parsed: { mediaType?: string };
      try {
        parsed = JSON.parse(body);
      } catch {
        throw new AwsError('InvalidParameterException', 'imageManifest is not valid JSON');
      }
      const mediaType: string | undefined = input.imageManifestMediaType ?? parsed.mediaType;
      if (!mediaType) throw new AwsError('InvalidParameterException', 'imageManifestMediaType is required when the manifest has no mediaType field');
      const digest = sha256Digest(body);
      if (input.imageDigest !== undefined && input.imageDigest !== digest) {
        throw new AwsError('ImageDigestDoesNotMatchException', `The specified digest '${input.imageDigest}' does not match the computed digest '${digest}' of the image manifest`);
      }
      const images = listRepositoryImages(registry, r);
      const current = tag !== undefined ? images.find((i) => i.tags.includes(tag)) : images.find((i) => i.digest === digest);
      if (current?.digest === digest) {
        throw new AwsError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ''} already exists in the repository with name '${r.repositoryName}' in the registry with id '${ctx.accountId}'`,
        );
      }
      if (current && tag !== undefined && r.imageTagMutability === 'IMMUTABLE') {
        throw new AwsError('ImageTagAlreadyExistsException', `The image tag '${tag}' already exists in the '${r.repositoryName}' repository and cannot be overwritten because the repository is immutable.`);
      }
      try {
        await registry.putManifest(r.repositoryName, tag ?? digest, body, mediaType);
      } catch (err) {
        registryError(err);
      }
      recordPush(r.repositoryName, digest);
      scheduleApply();
      return {
        image: {
          registryId: ctx.accountId,
          repositoryName: r.repositoryName,
          imageId: { imageDigest: digest, ...(tag !== undefined && { imageTag: tag }) },
          imageManifest: body,
          imageManifestMediaType: mediaType,
        },
      };
    },

    GetAuthorizationToken() {
      const { username, password } = ctx.registryAuth;
      return {
        authorizationData: [
          {
            authorizationToken: Buffer.from(`${username}:${password}`).toString('base64'),
            expiresAt: nowSeconds() + 12 * 3600,
            proxyEndpoint: `http://${ctx.registryHost}`,
          },
        ],
      };
    },

    async PutLifecyclePolicy(input) {
      const r = repo(input.repositoryName);
      parseLifecyclePolicy(input.lifecyclePolicyText);
      store.update((s) => {
        s.repositories[r.repositoryName].lifecyclePolicyText = input.lifecyclePolicyText;
      });
      // AWS applies within 24 h; the sandbox applies at once so tests and demos see the effect.
      await applyAll();
      return { registryId: ctx.accountId, repositoryName: r.repositoryName, lifecyclePolicyText: input.lifecyclePolicyText };
    },

    GetLifecyclePolicy(input) {
      const r = repo(input.repositoryName);
      if (!r.lifecyclePolicyText) {
        throw new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${ctx.accountId}'`);
      }
      return {
        registryId: ctx.accountId,
        repositoryName: r.repositoryName,
        lifecyclePolicyText: r.lifecyclePolicyText,
        lastEvaluatedAt: r.lifecycleEvaluatedAt,
      };
    },

    DeleteLifecyclePolicy(input) {
      const r = repo(input.repositoryName);
      if (!r.lifecyclePolicyText) {
        throw new AwsError('LifecyclePolicyNotFoundException', `Lifecycle policy does not exist for the repository with name '${r.repositoryName}' in the registry with id '${ctx.accountId}'`);
      }
      const text = r.lifecyclePolicyText;
      store.update((s) => {
        delete s.repositories[r.repositoryName].lifecyclePolicyText;
      });
      return { registryId: ctx.accountId, repositoryName: r.repositoryName, lifecyclePolicyText: text, lastEvaluatedAt: r.lifecycleEvaluatedAt };
    },
  };

  return {
    handlers,
    async start() {
      timer = setInterval(() => void applyAll(), opts.lifecycleIntervalMs ?? 30_000);
      timer.unref();
      await applyAll();
    },
    async stop() {
      if (timer) clearInterval(timer);
      if (pending) clearTimeout(pending);
      await applying;
    },
    info() {
      return { repositories: Object.keys(store.get().repositories).sort() };
    },
    applyLifecyclePolicies: applyAll,

    checkRepository(name) {
      if (store.get().repositories[name]) return undefined;
      return new RegistryApiError(404, 'NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${ctx.accountId}'`);
    },
    async checkTagPush(name, tag, digest) {
      const r = store.get().repositories[name];
      if (!r || r.imageTagMutability !== 'IMMUTABLE') return undefined;
      const current = await registry.headManifest(name, tag);
      if (current === undefined || current === digest) return undefined;
      return new RegistryApiError(400, 'TAG_INVALID', `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`);
    },
    pushed(name, digest) {
      recordPush(name, digest);
      scheduleApply();
    },
  };
}
