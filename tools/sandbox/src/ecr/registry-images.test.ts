// Resolving an imageId as ECR does: ECS-SEMANTICS §5 (BatchGetImage: a missing image is
// `ImageNotFound`, also `InvalidImageTag`, `ImageTagDoesNotMatchDigest`, `MissingDigestAndTag`) and
// the ECR model's ImageFailureCode enum (aws-models/ecr/service-2.json), which adds `InvalidImageDigest`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { imageIdText, resolveImage } from './registry-images.ts';

const A = `sha256:${'a'.repeat(64)}`;
const B = `sha256:${'b'.repeat(64)}`;
const images = [
  { digest: A, tags: ['latest', 'v1'], pushedAt: 2 },
  { digest: B, tags: [], pushedAt: 1 },
];

const cases: { name: string; id: { imageTag?: string; imageDigest?: string }; image?: string; failure?: string }[] = [
  { name: 'by tag', id: { imageTag: 'v1' }, image: A },
  { name: 'by digest (untagged)', id: { imageDigest: B }, image: B },
  { name: 'tag and its digest', id: { imageTag: 'latest', imageDigest: A }, image: A },
  { name: 'missing tag', id: { imageTag: 'v9' }, failure: 'ImageNotFound' },
  { name: 'tag of another digest', id: { imageTag: 'v1', imageDigest: B }, failure: 'ImageTagDoesNotMatchDigest' },
  { name: 'neither', id: {}, failure: 'MissingDigestAndTag' },
  { name: 'invalid tag', id: { imageTag: '-bad' }, failure: 'InvalidImageTag' },
  { name: 'invalid digest', id: { imageDigest: 'sha256:xyz' }, failure: 'InvalidImageDigest' },
];
for (const c of cases) {
  test(`resolve imageId: ${c.name}`, () => {
    const r = resolveImage(images, c.id);
    if (c.image) assert.is('image' in r && r.image.digest, c.image);
    else assert.is('failureCode' in r && r.failureCode, c.failure);
  });
}

test('imageIds print the way ECR messages show them', () => {
  assert.is(imageIdText({ imageTag: 'X' }), "{imageDigest:'null', imageTag:'X'}");
});

test.run();
