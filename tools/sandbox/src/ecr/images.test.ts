import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { manifestFacts, paginate } from './images.ts';

test('manifestFacts sums layer sizes; an index sums its manifests', () => {
  const m = { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 10 }, layers: [{ size: 100 }, { size: 23 }] };
  assert.equal(manifestFacts(JSON.stringify(m), 'x'), { mediaType: m.mediaType, artifactMediaType: m.config.mediaType, sizeInBytes: 123 });
  const idx = { manifests: [{ size: 5 }, { size: 6 }] };
  assert.equal(manifestFacts(JSON.stringify(idx), 'application/vnd.oci.image.index.v1+json'), { mediaType: 'application/vnd.oci.image.index.v1+json', artifactMediaType: undefined, sizeInBytes: 11 });
});

test('paginate walks pages with opaque tokens', () => {
  const items = [1, 2, 3, 4, 5];
  const p1 = paginate(items, 2, undefined);
  const p2 = paginate(items, 2, p1.nextToken);
  const p3 = paginate(items, 2, p2.nextToken);
  assert.equal([p1.page, p2.page, p3.page, p3.nextToken], [[1, 2], [3, 4], [5], undefined]);
  assert.throws(() => paginate(items, 0, undefined), /maxResults/);
});

test.run();
