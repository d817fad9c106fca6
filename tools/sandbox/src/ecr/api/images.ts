/**
 * Images: ListImages, DescribeImages, BatchGetImage, BatchDeleteImage, PutImage (ECS-SEMANTICS §5).
 * A missing image throws in DescribeImages but is a `failures[]` entry in BatchGetImage and
 * BatchDeleteImage; PutImage is the retag (same manifest under a new tag).
 */
import { AwsError } from '../../context.ts';
import type { Operations } from '../../operations.ts';
import { RegistryApiError, sha256Digest } from '../../registry/client.ts';
import { manifestFacts, paginate, type ImageEntry } from '../images.ts';
import { isImageTag } from '../names.ts';
import { imageIdText, resolveImage, type ImageId } from '../registry-images.ts';
import { type EcrDeps, repositoryOf } from './common.ts';

/** Registry refusals of a manifest PUT, as ECR's PutImage errors. */
function registryError(err: unknown): never {
  if (err instanceof RegistryApiError) {
    if (err.code === 'MANIFEST_BLOB_UNKNOWN' || err.code === 'BLOB_UNKNOWN') throw new AwsError('LayersNotFoundException', `The image manifest references layers that are not in the repository: ${err.message}`);
    if (err.code === 'MANIFEST_UNKNOWN') throw new AwsError('ReferencedImagesNotFoundException', `The image index references images that are not in the repository: ${err.message}`);
    if (err.code === 'MANIFEST_INVALID' || err.code === 'DIGEST_INVALID' || err.code === 'TAG_INVALID') throw new AwsError('InvalidParameterException', err.message);
  }
  throw err;
}

function tagStatusFilter(input: any): string {
  const status = input.filter?.tagStatus ?? 'ANY';
  if (!['TAGGED', 'UNTAGGED', 'ANY'].includes(status)) throw new AwsError('InvalidParameterException', 'filter.tagStatus must be TAGGED, UNTAGGED or ANY');
  return status;
}

function nonEmptyImageIds(input: any): ImageId[] {
  if (!Array.isArray(input.imageIds) || input.imageIds.length === 0) throw new AwsError('InvalidParameterException', 'imageIds must be a non-empty list');
  return input.imageIds;
}

/** The image operations. */
export function imageOperations(deps: EcrDeps): Operations {
  const { ctx, images, lifecycle } = deps;
  return {
    ListImages(input) {
      const r = repositoryOf(deps, input.repositoryName);
      const status = tagStatusFilter(input);
      const ids: ImageId[] = [];
      for (const img of images.list(r)) {
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
      const r = repositoryOf(deps, input.repositoryName);
      const all = images.list(r);
      let selected: ImageEntry[];
      if (input.imageIds !== undefined) {
        selected = [];
        for (const id of nonEmptyImageIds(input)) {
          const found = resolveImage(all, id);
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
        const status = tagStatusFilter(input);
        selected = all.filter((i) => status === 'ANY' || (status === 'TAGGED') === i.tags.length > 0);
      }
      const { page, nextToken } = paginate(selected, input.maxResults, input.nextToken);
      const imageDetails = [];
      for (const img of page) {
        const f = await images.facts(r.repositoryName, img.digest);
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
      const r = repositoryOf(deps, input.repositoryName);
      const ids = nonEmptyImageIds(input);
      const accepted: string[] | undefined = input.acceptedMediaTypes;
      const all = images.list(r);
      const out = [];
      const failures = [];
      for (const id of ids) {
        const found = resolveImage(all, id);
        if ('failureCode' in found) {
          failures.push({ imageId: id, failureCode: found.failureCode, failureReason: found.failureReason });
          continue;
        }
        const m = await images.registry.getManifest(r.repositoryName, found.image.digest);
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
      const r = repositoryOf(deps, input.repositoryName);
      const ids = nonEmptyImageIds(input);
      const deleted: ImageId[] = [];
      const failures = [];
      for (const id of ids) {
        const found = resolveImage(images.list(r), id);
        if ('failureCode' in found) {
          failures.push({ imageId: id, failureCode: found.failureCode, failureReason: found.failureReason });
          continue;
        }
        const img = found.image;
        if (id.imageTag !== undefined && img.tags.length > 1) {
          // Removing one of several tags leaves the image; removing the last tag deletes it (as ECR does).
          images.registry.untag(r.repositoryName, id.imageTag);
          deleted.push({ imageDigest: img.digest, imageTag: id.imageTag });
        } else {
          await images.delete(r, img.digest);
          if (img.tags.length === 0) deleted.push({ imageDigest: img.digest });
          for (const t of img.tags) deleted.push({ imageDigest: img.digest, imageTag: t });
        }
      }
      return { imageIds: deleted, failures };
    },

    async PutImage(input) {
      const r = repositoryOf(deps, input.repositoryName);
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
      const all = images.list(r);
      const current = tag !== undefined ? all.find((i) => i.tags.includes(tag)) : all.find((i) => i.digest === digest);
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
        await images.registry.putManifest(r.repositoryName, tag ?? digest, body, mediaType);
      } catch (err) {
        registryError(err);
      }
      images.recordPush(r.repositoryName, digest);
      lifecycle.schedule();
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
  };
}
