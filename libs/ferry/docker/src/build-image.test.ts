import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppDeployConfig, ResolvedApp } from '@ferry/core';
import { planBuildImage, sourceUrlOf, stripCredentials, type BuildImageFacts } from './build-image.ts';
import type { DockerBuilder } from './builder.ts';

const builder: DockerBuilder = { kind: 'buildkit', docker: '/usr/bin/docker', clientVersion: '20.10.24', buildCommand: ['build'], env: { DOCKER_BUILDKIT: '1' } };

function facts(over: Partial<BuildImageFacts> = {}, env: Partial<ResolvedApp['env']> = {}, dirty = false): BuildImageFacts {
  const app = {
    project: 'api',
    file: '/ws/apps/api/deploy.json',
    repository: 'ferry-sample/api',
    dockerfile: 'Dockerfile',
    context: '.',
    platform: 'linux/amd64',
    buildArgs: { BASE_IMAGE: 'ferry-sandbox/node:20' },
    lifecycle: { keepTaggedImages: 30, untaggedExpireDays: 1 },
  } as unknown as AppDeployConfig;
  return {
    resolved: { app, env: { name: 'local', kind: 'sandbox', region: 'us-east-1', cluster: 'c', ...env }, projectRoot: '/ws/apps/api', workspaceRoot: '/ws' },
    contentTag: { tag: 'ft-0123456789abcdef0123', inputs: { files: [{ path: 'apps/api/src/main.ts', sha: 'x' }], dockerfile: 'd', buildArgs: { BASE_IMAGE: 'ferry-sandbox/node:20' }, platform: 'linux/amd64', externalPackages: {}, tooling: {}, dirty } },
    git: { sha: 'abc123', dirty },
    registry: '127.0.0.1:5000',
    builder,
    engine: { serverVersion: '20.10.24', hasBridge: false },
    inRegistry: null,
    local: null,
    localTags: [],
    dockerfileExists: true,
    ...over,
  };
}
const ref = '127.0.0.1:5000/ferry-sample/api:ft-0123456789abcdef0123';

test('tag already in ECR: skip with the registry digest, no command', () => {
  const plan = planBuildImage(facts({ inRegistry: { digest: 'sha256:d' } }));
  assert.is(plan.action, 'skip');
  if (plan.action !== 'skip') return;
  assert.is(plan.reason, 'in-registry');
  assert.match(plan.message, /already in the registry, nothing to build/);
  assert.equal({ digest: plan.record.digest, imageRef: plan.record.imageRef, buildSkipped: plan.record.buildSkipped }, { digest: 'sha256:d', imageRef: ref, buildSkipped: 'in-registry' });
});

test('image present locally: skip, push will upload it', () => {
  const plan = planBuildImage(facts({ local: { id: 'sha256:local' } }));
  assert.is(plan.action, 'skip');
  if (plan.action === 'skip') assert.equal([plan.reason, plan.record.imageId], ['local', 'sha256:local']);
});

test('build: the exact command with build args, labels, cache-from and host network', () => {
  const plan = planBuildImage(facts({ localTags: [ref, '127.0.0.1:5000/ferry-sample/api:ft-old'], sourceUrl: 'https://example.com/acme/ferry.git' }));
  assert.is(plan.action, 'build');
  if (plan.action !== 'build') return;
  assert.is(plan.command.cmd, '/usr/bin/docker');
  assert.equal(plan.command.env, { DOCKER_BUILDKIT: '1' });
  assert.equal(plan.command.args, [
    'build', '--progress=plain', '--file', '/ws/apps/api/Dockerfile', '--tag', ref, '--platform', 'linux/amd64',
    '--build-arg', 'BASE_IMAGE=ferry-sandbox/node:20', '--build-arg', 'BUILDKIT_INLINE_CACHE=1',
    '--build-arg', 'FERRY_CONTENT_TAG=ft-0123456789abcdef0123', '--build-arg', 'FERRY_GIT_SHA=abc123',
    '--label', 'ferry.content-tag=ft-0123456789abcdef0123', '--label', 'ferry.project=api',
    '--label', 'org.opencontainers.image.revision=abc123', '--label', 'org.opencontainers.image.source=https://example.com/acme/ferry.git',
    '--cache-from', '127.0.0.1:5000/ferry-sample/api:ft-old', '--network', 'host', '/ws/apps/api',
  ]);
  assert.equal(plan.record.inputs, { files: 1, dockerfile: 'd', platform: 'linux/amd64', buildArgs: ['BASE_IMAGE'], externalPackages: 0, dirty: false });
});

test('an engine with a bridge network builds without --network', () => {
  const plan = planBuildImage(facts({ engine: { serverVersion: '27', hasBridge: true } }));
  assert.ok(plan.action === 'build' && !plan.command.args.includes('--network'));
});

test('a dirty tag for an AWS environment is refused unless --allow-dirty', () => {
  const aws = { name: 'staging', kind: 'aws' as const };
  try {
    planBuildImage(facts({}, aws, true));
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'USAGE');
    assert.match(e.message, /commit your changes first: a dirty tag cannot be reproduced/i);
  }
  const plan = planBuildImage(facts({}, aws, true), { allowDirty: true });
  assert.is(plan.action, 'build');
  assert.ok(plan.warnings.some((w) => /uncommitted/.test(w)));
});

test('a dirty tag for the sandbox is fine', () => {
  assert.is(planBuildImage(facts({}, {}, true)).action, 'build');
});

test('dirty refusal comes before the registry skip', () => {
  assert.throws(() => planBuildImage(facts({ inRegistry: { digest: 'sha256:d' } }, { name: 'prod', kind: 'aws' }, true)), /dirty tag/);
});

test('a missing Dockerfile is CONFIG_INVALID naming deploy.json', () => {
  try {
    planBuildImage(facts({ dockerfileExists: false }));
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'CONFIG_INVALID');
    assert.match(e.message, /\/ws\/apps\/api\/Dockerfile/);
    assert.match(e.message, /deploy\.json/);
  }
});

test('registry not checked (dry run, sandbox down): build planned with a warning', () => {
  const plan = planBuildImage(facts({ inRegistry: 'unknown' }));
  assert.is(plan.action, 'build');
  assert.ok(plan.warnings.some((w) => /not checked/.test(w)));
});

test('the builder warning is passed on', () => {
  const plan = planBuildImage(facts({ builder: { ...builder, kind: 'legacy', env: { DOCKER_BUILDKIT: '0' }, warning: 'No BuildKit available' } }));
  assert.ok(plan.warnings.includes('No BuildKit available'));
  assert.ok(plan.action === 'build' && !plan.command.args.includes('--progress=plain'));
});

test('sourceUrlOf keeps remote URLs only, without credentials', () => {
  assert.is(sourceUrlOf('https://x-access-token:ghs_abc@github.com/acme/ferry.git'), 'https://github.com/acme/ferry.git');
  assert.is(sourceUrlOf('git@github.com:acme/ferry.git'), 'git@github.com:acme/ferry.git');
  assert.is(sourceUrlOf('/work/main'), undefined);
  assert.is(sourceUrlOf('file:///work/main'), undefined);
  assert.is(sourceUrlOf(''), undefined);
});

test('stripCredentials', () => {
  assert.is(stripCredentials('https://user:tok@github.com/a/b.git'), 'https://github.com/a/b.git');
  assert.is(stripCredentials('git@github.com:a/b.git'), 'git@github.com:a/b.git');
});

test.run();
