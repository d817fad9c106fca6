// Security with real parts: no secret in any output or left on disk, hostile values never reach a
// shell, plaintext secrets refused in task definitions. docs/reliability.md records what each test
// observed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { Fixture, server, STACK_LINE } from './reliability-support.ts';

const f = new Fixture('reliability-security', 'vault', 'rel-sec');
const APP = f.app;
const marker = join(f.tmp, 'PWNED');
// Each value combines several tricks: command substitution, backticks, `;`, a newline, a path escape.
const hostile = [`$(touch ${marker})`, `x\`touch ${marker}\`; touch ${marker}`, `../../etc\n$(touch ${marker})`];
// AWS keys in the environment of every run: the scan looks for them everywhere.
const AWS_KEYS = { AWS_ACCESS_KEY_ID: 'AKIAFERRYRELTEST0042', AWS_SECRET_ACCESS_KEY: 'ferryRelSecret/0042+abcdefghijklmnopqrstuv', AWS_SESSION_TOKEN: 'FerryRelSessionToken0042xyz' };
const observed: Record<string, unknown> = {};
const note = (k: string, v: unknown) => {
  observed[k] = v;
  if (process.env.FERRY_RELIABILITY_LOG) console.log(`[observed] ${k}: ${JSON.stringify(v)}`);
};

test.before(async () => {
  await f.start({ [`apps/${APP}/deploy.json`]: f.deployJson(), [`apps/${APP}/server.js`]: server('v1') });
});
test.after(async () => {
  await f.stop();
});

function noMarker(what: string) {
  assert.not.ok(existsSync(marker), `${what}: a command ran (marker file exists)`);
}

test('hostile --project, --env, --tag, --to: refused with a clear message or passed inertly; no command runs', async () => {
  const outcomes: string[] = [];
  for (const bad of hostile) {
    const p = await f.run('deploy-app', ['--dry-run'], { project: bad });
    assert.ok(p.code === 1 || p.code === 2, `--project ${JSON.stringify(bad)} exited ${p.code}: ${p.out}`);
    assert.not.match(p.out, STACK_LINE);
    const e = await f.run('deploy-app', ['--dry-run', '--env', bad]);
    assert.is(e.code, 1, e.out);
    assert.match(e.out, /environment|ferry\.json/i);
    const t = await f.run('deploy-app', ['--dry-run', '--tag', bad]);
    assert.ok(t.code === 1 || t.code === 2, t.out);
    assert.match(t.out, /--tag/);
    const r = await f.run('rollback', ['--dry-run', '--to', bad]);
    assert.is(r.code, 1, r.out);
    assert.not.match(r.out, STACK_LINE);
    outcomes.push(`${JSON.stringify(bad)}: project ${p.code}, env ${e.code}, tag ${t.code}, to ${r.code}`);
    noMarker(bad);
  }
  note('hostileArgs', outcomes);
});

test('hostile deploy.json names are refused naming the field; hostile build args reach docker inertly', async () => {
  const original = readFileSync(join(f.ws, 'apps', APP, 'deploy.json'), 'utf8');
  for (const [field, value] of [['service', `a;touch ${marker}`], ['repository', `$(touch ${marker})`], ['family', `\`touch ${marker}\``], ['cluster', 'x']] as const) {
    if (field === 'cluster') continue;
    writeFileSync(join(f.ws, 'apps', APP, 'deploy.json'), f.deployJson({ [field]: value }));
    const r = await f.run('deploy-app', ['--dry-run']);
    assert.is(r.code, 1, `${field}: ${r.out}`);
    assert.match(r.out, new RegExp(field));
    assert.not.match(r.out, STACK_LINE);
    noMarker(field);
  }
  const evil = `$(touch ${marker}) \`touch ${marker}\`; touch ${marker}`;
  writeFileSync(join(f.ws, 'apps', APP, 'Dockerfile'), 'ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\nARG GREETING\nLABEL greeting=$GREETING\nCOPY server.js /app/server.js\nCMD ["node", "/app/server.js"]\n');
  writeFileSync(join(f.ws, 'apps', APP, 'deploy.json'), f.deployJson({ buildArgs: { GREETING: evil } }));
  f.git('add', '-A');
  f.git('commit', '-qm', 'hostile build arg');
  const b = await f.run('build-image');
  assert.is(b.code, 0, b.out);
  noMarker('buildArgs');
  const ref = /(\S+:ft-[0-9a-f]{8,})/.exec(b.out.replace(/\u001b\[[0-9;]*m/g, ''))?.[1];
  const label = spawnSync('docker', ['image', 'inspect', '--format', '{{index .Config.Labels "greeting"}}', ref ?? ''], { encoding: 'utf8' });
  assert.is(label.stdout.trim(), evil, `the build arg arrived byte for byte: ${label.stderr}`);
  writeFileSync(join(f.ws, 'apps', APP, 'deploy.json'), original);
  f.git('add', '-A');
  f.git('commit', '-qm', 'back');
  note('hostileConfig', { refused: ['service', 'repository', 'family'], buildArgLabel: 'literal' });
});

test('no registry password, token or AWS key in any output (--verbose, a good and a failing deploy) or left on disk', async () => {
  const password = readFileSync(join(f.tmp, 'sandbox', 'registry', 'password'), 'utf8').trim();
  assert.ok(password.length >= 16);
  const token = Buffer.from(`AWS:${password}`).toString('base64');
  const needles = [password, token, ...Object.values(AWS_KEYS)];
  const env = { ...AWS_KEYS };
  const outputs: string[] = [];
  for (const target of ['build-image', 'push', 'deploy-app', 'health-check', 'smoke-test', 'deploy', 'diff', 'history']) {
    const r = await f.run(target, ['--verbose'], { env });
    assert.is(r.code, 0, `${target}: ${r.out}`);
    outputs.push(r.out);
    if (target === 'push' || target === 'deploy-app') outputs.push((await f.run(target, ['--json', '--force'].slice(0, target === 'deploy-app' ? 2 : 1), { env })).out);
  }
  // A failing deploy: a version whose container health check always fails is pushed, rolled out,
  // fails, rolled back (a health check rather than a crash: deterministic under any CPU load).
  const original = readFileSync(join(f.ws, 'apps', APP, 'deploy.json'), 'utf8');
  f.commit(
    {
      [`apps/${APP}/server.js`]: server('broken'),
      [`apps/${APP}/deploy.json`]: f.deployJson({ containerHealthCheck: { command: ['CMD', 'node', '-e', 'process.exit(1)'], interval: 5, timeout: 2, retries: 1, startPeriod: 0 } }),
    },
    'broken',
  );
  for (const target of ['build-image', 'push']) outputs.push((await f.run(target, ['--verbose'], { env })).out);
  const failed = await f.run('deploy-app', ['--verbose'], { env });
  assert.is(failed.code, 1, failed.out);
  outputs.push(failed.out);
  // And a push that cannot log in (dead registry): the error path prints docker's output.
  f.commit({ [`apps/${APP}/server.js`]: server('v2'), [`apps/${APP}/deploy.json`]: original }, 'v2');
  await f.run('build-image', [], { env });
  f.writeFerryJson({ registry: '127.0.0.1:9' });
  const dead = await f.run('push', ['--verbose'], { env });
  outputs.push(dead.out);
  f.writeFerryJson();
  assert.is(dead.code, 1, dead.out);
  const all = outputs.join('\n');
  for (const n of needles) assert.not.ok(all.includes(n), `a secret (${n.slice(0, 4)}…) appears in the output`);
  const onDisk = [...Fixture.filesContaining(f.childTmp, needles), ...Fixture.filesContaining(f.ws, needles), ...Fixture.filesContaining(join(f.tmp, 'docker-config'), needles)];
  assert.equal(onDisk, [], 'secrets left on disk');
  note('secretsScan', { outputsScanned: outputs.length, bytes: all.length, needles: needles.length, hits: 0, filesWithSecrets: onDisk.length });
});

test('plaintext secrets in environment are refused (or warned with --allow-plaintext-secrets); secrets references deploy; diff masks', async () => {
  f.commit(
    {
      [`apps/${APP}/server.js`]: server('v3'),
      [`apps/${APP}/deploy.json`]: f.deployJson({ environment: { DB_PASSWORD: 'hunter2-plaintext-value', MODE: 'x' } }),
    },
    'plaintext secret',
  );
  await f.buildAndPush();
  const refused = await f.run('deploy-app');
  assert.is(refused.code, 1, refused.out);
  assert.match(refused.out, /DB_PASSWORD look/);
  assert.match(refused.out, /"secrets"/);
  assert.not.match(refused.out, /hunter2-plaintext-value/);
  const diff = await f.run('diff');
  assert.not.match(diff.out, /hunter2-plaintext-value/);
  assert.match(diff.out, /DB_PASSWORD[\s\S]{0,40}<masked sha256:[0-9a-f]{8}>/);
  const allowed = await f.run('deploy-app', ['--allow-plaintext-secrets']);
  assert.is(allowed.code, 0, allowed.out);
  assert.match(allowed.out, /--allow-plaintext-secrets/);
  assert.not.match(allowed.out, /hunter2-plaintext-value/);
  // The right way: a reference, resolved by ECS at task start.
  const ref = 'arn:aws:ssm:us-east-1:000000000000:parameter/vault/db-password';
  f.commit({ [`apps/${APP}/deploy.json`]: f.deployJson({ environment: { MODE: 'x' }, secrets: { DB_PASSWORD: ref } }) }, 'secret reference');
  const good = await f.run('deploy-app');
  assert.is(good.code, 0, good.out);
  const td = await f.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: (await f.describe()).taskDefinition! }));
  const c = td.taskDefinition!.containerDefinitions![0];
  assert.equal(c.secrets, [{ name: 'DB_PASSWORD', valueFrom: ref }]);
  assert.not.ok((c.environment ?? []).some((e) => e.name === 'DB_PASSWORD'));
  note('plaintextSecrets', { refused: refused.code, allowedWithFlag: allowed.code, reference: good.code, diffMasked: true });
});

test.run();
