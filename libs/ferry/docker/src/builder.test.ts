import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { candidateClients, checkEngine, chooseBuilder, detectBuilder, legacyClientCanUseBuildKit, parseBuildxVersion, parseClientVersion, type ClientProbe } from './builder.ts';
import type { RunProcess } from './process.ts';
import { RunSession } from '@ferry/core';

test('parseClientVersion', () => {
  assert.is(parseClientVersion('Docker version 28.2.2, build e6534b4\n'), '28.2.2');
  assert.is(parseClientVersion('Docker version 20.10.24+dfsg1, build 297e128'), '20.10.24+dfsg1');
  assert.is(parseClientVersion('podman version 4.3.1'), undefined);
  assert.is(parseClientVersion(undefined), undefined);
});

test('parseBuildxVersion', () => {
  assert.is(parseBuildxVersion('github.com/docker/buildx v0.11.2 9872040'), 'v0.11.2');
  assert.is(parseBuildxVersion('github.com/docker/buildx 0.12.1+ds1 0.12.1+ds1-1'), '0.12.1+ds1');
  assert.is(parseBuildxVersion("docker: 'buildx' is not a docker command."), undefined);
});

for (const [v, want] of [['18.06.1', false], ['18.09.0', true], ['20.10.24+dfsg1', true], ['22.06.0', true], ['23.0.0', false], ['28.2.2', false], ['garbage', false]] as const) {
  test(`legacyClientCanUseBuildKit(${v}) = ${want}`, () => assert.is(legacyClientCanUseBuildKit(v), want));
}

const v28: ClientProbe = { path: '/usr/local/bin/docker', source: 'PATH', versionOutput: 'Docker version 28.2.2, build e6534b4' };
const v20: ClientProbe = { path: '/usr/bin/docker', source: 'system', versionOutput: 'Docker version 20.10.24+dfsg1, build 297e128' };
const v28buildx: ClientProbe = { ...v28, buildxOutput: 'github.com/docker/buildx v0.24.0 d0e5e86' };
const broken: ClientProbe = { path: '/opt/docker', source: 'FERRY_DOCKER' };

const choices: Array<[string, ClientProbe[], { kind: string; docker: string; env: Record<string, string>; warns: boolean }]> = [
  ['buildx on PATH wins', [v28buildx, v20], { kind: 'buildx', docker: '/usr/local/bin/docker', env: { BUILDX_NO_DEFAULT_ATTESTATIONS: '1' }, warns: false }],
  ['28 without buildx + Debian 20.10: the 20.10 client with DOCKER_BUILDKIT=1 (this machine)', [v28, v20], { kind: 'buildkit', docker: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '1' }, warns: false }],
  ['only a 28 client without buildx: legacy builder, with a warning', [v28], { kind: 'legacy', docker: '/usr/local/bin/docker', env: { DOCKER_BUILDKIT: '0' }, warns: true }],
  ['only 20.10', [v20], { kind: 'buildkit', docker: '/usr/bin/docker', env: { DOCKER_BUILDKIT: '1' }, warns: false }],
  ['a client that does not run is skipped', [{ ...broken }, v28], { kind: 'legacy', docker: '/usr/local/bin/docker', env: { DOCKER_BUILDKIT: '0' }, warns: true }],
];
for (const [label, probes, want] of choices) {
  test(`chooseBuilder: ${label}`, () => {
    const b = chooseBuilder(probes);
    assert.equal({ kind: b.kind, docker: b.docker, env: b.env, warns: !!b.warning }, want);
    assert.equal(b.buildCommand, b.kind === 'buildx' ? ['buildx', 'build'] : ['build']);
  });
}

test('chooseBuilder without any working client: DOCKER_UNAVAILABLE naming what was tried', () => {
  try {
    chooseBuilder([broken]);
    assert.unreachable();
  } catch (e: any) {
    assert.is(e.code, 'DOCKER_UNAVAILABLE');
    assert.match(e.message, /\/opt\/docker \(FERRY_DOCKER\)/);
    assert.match(e.message, /FERRY_DOCKER/);
  }
});

test('candidateClients: FERRY_DOCKER alone; else PATH docker then a different /usr/bin/docker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-builder-test-'));
  try {
    writeFileSync(join(dir, 'docker'), '#!/bin/sh\n');
    chmodSync(join(dir, 'docker'), 0o755);
    assert.equal(candidateClients({ FERRY_DOCKER: '/x/docker', PATH: dir }), [{ path: '/x/docker', source: 'FERRY_DOCKER' }]);
    const found = candidateClients({ PATH: dir });
    assert.equal(found[0], { path: join(dir, 'docker'), source: 'PATH' });
    // /usr/bin/docker is offered second only when it exists (it does on this machine's image, maybe not elsewhere).
    for (const c of found.slice(1)) assert.equal(c, { path: '/usr/bin/docker', source: 'system' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('detectBuilder probes with argument arrays, once per run (session)', async () => {
  const calls: string[][] = [];
  const fake: RunProcess = async (cmd, args) => {
    calls.push([cmd, ...args]);
    const out = args[0] === '--version' ? 'Docker version 20.10.24+dfsg1, build 297e128' : "docker: 'buildx' is not a docker command.";
    return { code: args[0] === '--version' ? 0 : 1, stdout: out, stderr: '', output: out };
  };
  const env = { FERRY_DOCKER: '/fake/docker-for-cache-test', PATH: '' };
  const session = new RunSession({ workspaceRoot: '/nowhere' });
  const a = await detectBuilder({ env, run: fake, session });
  const b = await detectBuilder({ env, run: fake, session });
  assert.is(a, b);
  assert.is(a.kind, 'buildkit');
  assert.equal(calls, [['/fake/docker-for-cache-test', '--version'], ['/fake/docker-for-cache-test', 'buildx', 'version']]);
  await detectBuilder({ env, run: fake, session: new RunSession({ workspaceRoot: '/nowhere' }) });
  assert.is(calls.length, 4, 'another run probes again');
});

test('checkEngine: once per run and engine; a failed check is asked again and names the next step', async () => {
  let up = false;
  const calls: string[][] = [];
  const fake: RunProcess = async (cmd, args) => {
    calls.push([cmd, ...args]);
    if (!up) return { code: 1, stdout: '', stderr: 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.', output: '' };
    const out = args[0] === 'version' ? '20.10.24+dfsg1\n' : 'host\nnone\n';
    return { code: 0, stdout: out, stderr: '', output: out };
  };
  const session = new RunSession({ workspaceRoot: '/nowhere' });
  const builder = { docker: '/fake/docker' };
  const env = { PATH: '' };
  for (let i = 0; i < 2; i++) {
    const e = await checkEngine(builder, { env, run: fake, session }).catch((x: Error & { code?: string }) => x);
    assert.instance(e, Error);
    assert.match((e as Error).message, /Docker engine not reachable.*Start Docker/);
  }
  assert.is(calls.length, 4, 'a down engine is asked by each caller');
  up = true;
  const [a, b] = await Promise.all([checkEngine(builder, { env, run: fake, session }), checkEngine(builder, { env, run: fake, session })]);
  assert.is(a, b);
  assert.equal(a, { serverVersion: '20.10.24+dfsg1', hasBridge: false });
  assert.is(calls.length, 6, 'two apps at once: one version + one network ls');
  await checkEngine(builder, { env: { ...env, DOCKER_HOST: 'unix:///other.sock' }, run: fake, session });
  assert.is(calls.length, 8, 'another engine is asked');
  await checkEngine(builder, { env, run: fake });
  assert.is(calls.length, 10, 'without a session: every time');
});

test.run();
