import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRegistryPath } from './proxy.ts';

test('parseRegistryPath', () => {
  assert.equal(parseRegistryPath('/v2/team/api/manifests/v1'), { name: 'team/api', kind: 'manifests', reference: 'v1' });
  assert.equal(parseRegistryPath('/v2/api/blobs/uploads/?mount=x'), { name: 'api', kind: 'blobs', reference: 'uploads/' });
  assert.equal(parseRegistryPath('/v2/api/tags/list'), { name: 'api', kind: 'tags', reference: 'list' });
  assert.is(parseRegistryPath('/v2/'), undefined);
  assert.is(parseRegistryPath('/v2/_catalog'), undefined);
});

test.run();
