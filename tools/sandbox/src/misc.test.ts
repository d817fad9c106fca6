import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLdd } from './base-image.ts';
import { parseRegistryPath } from './registry/proxy.ts';
import { openStateStore } from './state.ts';
import { manifestFacts, paginate } from './ecr/images.ts';

test('parseLdd lists libraries and the loader, not the vdso', () => {
  const out = `\tlinux-vdso.so.1 (0x00007ffd)\n\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n`;
  assert.equal(parseLdd(out), ['/lib/x86_64-linux-gnu/libdl.so.2', '/lib/x86_64-linux-gnu/libc.so.6', '/lib64/ld-linux-x86-64.so.2']);
});

test('parseRegistryPath', () => {
  assert.equal(parseRegistryPath('/v2/team/api/manifests/v1'), { name: 'team/api', kind: 'manifests', reference: 'v1' });
  assert.equal(parseRegistryPath('/v2/api/blobs/uploads/?mount=x'), { name: 'api', kind: 'blobs', reference: 'uploads/' });
  assert.equal(parseRegistryPath('/v2/api/tags/list'), { name: 'api', kind: 'tags', reference: 'list' });
  assert.is(parseRegistryPath('/v2/'), undefined);
  assert.is(parseRegistryPath('/v2/_catalog'), undefined);
});

test('state store persists every update atomically and reloads it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-state-'));
  try {
    const a = openStateStore(dir, 'things', { n: 0 });
    a.update((s) => void (s.n = 3));
    assert.equal(JSON.parse(readFileSync(join(dir, 'things.json'), 'utf8')), { n: 3 });
    assert.equal(openStateStore(dir, 'things', { n: 0 }).get(), { n: 3 });
    assert.throws(() => openStateStore(dir, '../escape', {}), /invalid state name/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

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
