import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isDigest, isImageTag, repositoryNameProblem } from './names.ts';

const valid = ['ab', 'api', 'team/api', 'a/b/c-d_e.f', 'app2', 'x'.repeat(256)];
const invalid: Array<[unknown, RegExp]> = [
  ['', /required/],
  [undefined, /required/],
  ['a', /2 to 256/],
  ['x'.repeat(257), /2 to 256/],
  ['Api', /lowercase letter/],
  ['1api', /lowercase letter/],
  ['-api', /lowercase letter/],
  ['api-', /constraint/],
  ['api//x', /constraint/],
  ['api/', /constraint/],
  ['a--b', /constraint/],
  ['api x', /constraint/],
  ['team/API', /constraint/],
];

for (const name of valid) test(`valid repository name ${name.slice(0, 20)}`, () => assert.is(repositoryNameProblem(name), undefined));
for (const [name, message] of invalid) test(`invalid repository name ${JSON.stringify(name)}`, () => assert.match(repositoryNameProblem(name) ?? '', message));

test('image tags and digests', () => {
  assert.ok(isImageTag('v1.2.3-rc_1'));
  assert.ok(isImageTag('a'.repeat(128)));
  assert.not.ok(isImageTag('a'.repeat(129)));
  assert.not.ok(isImageTag('.hidden'));
  assert.not.ok(isImageTag('a:b'));
  assert.ok(isDigest(`sha256:${'a'.repeat(64)}`));
  assert.not.ok(isDigest(`sha256:${'A'.repeat(64)}`));
  assert.not.ok(isDigest('v1'));
});

test.run();
