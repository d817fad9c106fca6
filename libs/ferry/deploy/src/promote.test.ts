import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { manifestReferences } from '@ferry/aws';
import { formatPromotePlan, parseImageRef, planPromote, promoteTag, type PromoteSource, type PromoteTargetFacts } from './promote.ts';
import { parsePromotedFrom, promotedFromValue } from './task-definition.ts';

const D1 = `sha256:${'a'.repeat(64)}`;
const D2 = `sha256:${'b'.repeat(64)}`;

const refCases: Array<[string, ReturnType<typeof parseImageRef>]> = [
  ['127.0.0.1:5000/api:ft-0123', { registry: '127.0.0.1:5000', repository: 'api', tag: 'ft-0123' }],
  [`127.0.0.1:5000/api@${D1}`, { registry: '127.0.0.1:5000', repository: 'api', digest: D1 }],
  [`123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:v1@${D1}`, { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', repository: 'team/api', tag: 'v1', digest: D1 }],
  ['localhost/api', { registry: 'localhost', repository: 'api' }],
  ['node:20', undefined],
  ['library/node:20', undefined],
];
for (const [ref, want] of refCases) test(`parseImageRef ${ref}`, () => assert.equal(parseImageRef(ref), want));

const source = (over: Partial<PromoteSource> = {}): PromoteSource => ({
  env: 'staging',
  cluster: 'c-staging',
  service: 'api',
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:7',
  image: '127.0.0.1:5000/api:ft-1',
  ref: { registry: '127.0.0.1:5000', repository: 'api', tag: 'ft-1' },
  digest: D1,
  contentTag: 'ft-1',
  ...over,
});
const target = (over: Partial<PromoteTargetFacts> = {}): PromoteTargetFacts => ({ env: 'prod', cluster: 'c-prod', service: 'api', registry: '127.0.0.1:5000', repository: 'api', tag: 'ft-1', ...over });

test('promoteTag: --tag, the source tag, the content tag, else promoted-<12 hex>', () => {
  assert.is(promoteTag(source(), 'release-1'), 'release-1');
  assert.is(promoteTag(source()), 'ft-1');
  assert.is(promoteTag(source({ ref: { registry: 'r:1', repository: 'api', digest: D1 } })), 'ft-1');
  assert.is(promoteTag(source({ ref: { registry: 'r:1', repository: 'api', digest: D1 }, contentTag: undefined })), 'promoted-aaaaaaaaaaaa');
});

// The copy step: ECS-SEMANTICS §5 (retag = BatchGetImage + PutImage in one repository; layers are
// per repository, so another repository or registry needs the blobs).
const planCases: Array<[string, PromoteTargetFacts, string]> = [
  ['tag already names the digest', target({ tagDigest: D1 }), 'present'],
  ['same registry and repository, new tag', target({ tag: 'release-1' }), 'retag'],
  ['same registry, another repository', target({ repository: 'api-prod' }), 'blobs'],
  ['another registry', target({ registry: '127.0.0.1:5001' }), 'blobs'],
];
for (const [label, t, kind] of planCases) {
  test(`planPromote: ${label} -> ${kind}`, () => {
    const p = planPromote(source(), t);
    assert.is(p.copy.kind, kind);
    assert.is(p.imageRef, `${t.registry}/${t.repository}@${D1}`, 'pinned by digest');
    assert.equal(parsePromotedFrom(p.promotedFrom), { env: 'staging', digest: D1, taskDefinitionArn: source().taskDefinitionArn });
    assert.ok(formatPromotePlan(p).some((l) => l.startsWith('copy: ')));
  });
}

test('planPromote refuses a tag that names another digest in the target', () => {
  try {
    planPromote(source(), target({ registry: '127.0.0.1:5001', tagDigest: D2 }));
    assert.unreachable();
  } catch (e) {
    assert.instance(e, FerryError);
    assert.match((e as Error).message, /already names sha256:b+, not sha256:a+.*--tag/);
  }
});

test('ferry:promoted-from round-trips and rejects other shapes', () => {
  const v = { env: 'staging', digest: D1, taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/api:7' };
  assert.equal(parsePromotedFrom(promotedFromValue(v)), v);
  assert.is(parsePromotedFrom('staging only'), undefined);
  assert.is(parsePromotedFrom(undefined), undefined);
});

test('manifestReferences: config and layers of a manifest; children of an index', () => {
  const m = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { digest: D1 }, layers: [{ digest: D2 }] });
  assert.equal(manifestReferences(m, 'application/vnd.oci.image.manifest.v1+json'), { blobs: [D1, D2], children: [] });
  const i = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [{ digest: D1 }, { digest: D2 }] });
  assert.equal(manifestReferences(i, 'application/vnd.oci.image.index.v1+json'), { blobs: [], children: [D1, D2] });
});

test.run();
