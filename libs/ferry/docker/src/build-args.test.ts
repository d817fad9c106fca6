import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { dockerBuildArgs, formatCommand, LABELS } from './build-args.ts';

const legacy = { kind: 'legacy' as const, buildCommand: ['build'] };
const buildkit = { kind: 'buildkit' as const, buildCommand: ['build'] };
const buildx = { kind: 'buildx' as const, buildCommand: ['buildx', 'build'] };
const base = { tags: ['127.0.0.1:5000/ferry/api:ft-1'], dockerfile: '/ws/apps/api/Dockerfile', context: '/ws/apps/api' };

const cases: Array<[string, Parameters<typeof dockerBuildArgs>[0], string[]]> = [
  ['legacy, minimal', { ...base, builder: legacy }, ['build', '--force-rm', '--file', '/ws/apps/api/Dockerfile', '--tag', '127.0.0.1:5000/ferry/api:ft-1', '/ws/apps/api']],
  [
    'buildkit: plain progress, inline cache, sorted build args and labels, cache-from, host network',
    {
      ...base,
      builder: buildkit,
      platform: 'linux/amd64',
      buildArgs: { ZED: 'z', BASE_IMAGE: 'ferry-sandbox/node:20' },
      labels: { [LABELS.project]: 'api', [LABELS.contentTag]: 'ft-1' },
      cacheFrom: ['127.0.0.1:5000/ferry/api:ft-0'],
      network: 'host',
    },
    [
      'build', '--progress=plain', '--file', '/ws/apps/api/Dockerfile', '--tag', '127.0.0.1:5000/ferry/api:ft-1', '--platform', 'linux/amd64',
      '--build-arg', 'BASE_IMAGE=ferry-sandbox/node:20', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '--build-arg', 'ZED=z',
      '--label', 'ferry.content-tag=ft-1', '--label', 'ferry.project=api',
      '--cache-from', '127.0.0.1:5000/ferry/api:ft-0', '--network', 'host', '/ws/apps/api',
    ],
  ],
  ['buildx: loads into the engine', { ...base, builder: buildx }, ['buildx', 'build', '--progress=plain', '--file', '/ws/apps/api/Dockerfile', '--tag', '127.0.0.1:5000/ferry/api:ft-1', '--build-arg', 'BUILDKIT_INLINE_CACHE=1', '--load', '/ws/apps/api']],
  ['values with spaces and shell characters stay one element', { ...base, builder: legacy, buildArgs: { MSG: 'a b; rm -rf / $(x)' } }, ['build', '--force-rm', '--file', '/ws/apps/api/Dockerfile', '--tag', '127.0.0.1:5000/ferry/api:ft-1', '--build-arg', 'MSG=a b; rm -rf / $(x)', '/ws/apps/api']],
  ['several tags', { ...base, builder: legacy, tags: ['r/a:1', 'r/a:2'] }, ['build', '--force-rm', '--file', '/ws/apps/api/Dockerfile', '--tag', 'r/a:1', '--tag', 'r/a:2', '/ws/apps/api']],
];
for (const [label, opts, want] of cases) {
  test(`dockerBuildArgs: ${label}`, () => assert.equal(dockerBuildArgs(opts), want));
}

test('dockerBuildArgs needs a tag', () => {
  assert.throws(() => dockerBuildArgs({ ...base, tags: [], builder: legacy }), /at least one tag/);
});

test('formatCommand quotes only what needs quoting', () => {
  assert.is(formatCommand('docker', ['build', '--build-arg', "A=it's", '--tag', 'r/a:1', '.']), `docker build --build-arg 'A=it'\\''s' --tag r/a:1 .`);
});

test.run();
