import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyDockerFailure, parsePushDigest, registryOf } from './docker.ts';

const cases: Array<[string, ReturnType<typeof classifyDockerFailure>]> = [
  ['Cannot connect to the Docker daemon at unix:///tmp/nope.sock. Is the docker daemon running?', 'engine-down'],
  ['error during connect: Get "http://%2Fvar%2Frun%2Fdocker.sock/v1.41/version": dial unix /var/run/docker.sock: connect: no such file or directory', 'engine-down'],
  ['Error response from daemon: Get "http://127.0.0.1:5999/v2/": dial tcp 127.0.0.1:5999: connect: connection refused', 'registry-unreachable'],
  ['Error response from daemon: Get "http://127.0.0.1:5000/v2/": EOF', 'registry-unreachable'],
  ['Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ failed with status: 503 Service Unavailable', 'registry-unreachable'],
  ['received unexpected HTTP status: 502 Bad Gateway', 'registry-unreachable'],
  ['Error response from daemon: Get "https://x.dkr.ecr.eu-west-1.amazonaws.com/v2/": net/http: TLS handshake timeout', 'registry-unreachable'],
  ["tag invalid: The image tag 'ft-1' already exists in the 'api' repository and cannot be overwritten because the repository is immutable.", 'immutable-tag'],
  ['Error response from daemon: login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized', 'unauthorized'],
  ['denied: requested access to the resource is denied', 'unauthorized'],
  ['manifest blob unknown', 'other'],
];
for (const [output, want] of cases) {
  test(`classifyDockerFailure: ${want} <- ${output.slice(0, 60)}`, () => assert.is(classifyDockerFailure(output), want));
}

test('parsePushDigest', () => {
  const out = 'The push refers to repository [127.0.0.1:5000/ferry/api]\n5f70bf18a086: Pushed\nft-1: digest: sha256:' + 'a'.repeat(64) + ' size: 739\n';
  assert.is(parsePushDigest(out), `sha256:${'a'.repeat(64)}`);
  assert.is(parsePushDigest('nothing here'), undefined);
});

test('registryOf', () => {
  assert.is(registryOf('127.0.0.1:5000/ferry-sample/api:ft-1'), '127.0.0.1:5000');
  assert.is(registryOf('1.dkr.ecr.eu-west-1.amazonaws.com/api:t'), '1.dkr.ecr.eu-west-1.amazonaws.com');
});

test.run();
