import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { AppDeployConfig } from '@ferry/core';
import type { EcsTaskDefinition } from '@ferry/aws';
import { needsLiveTaskDefinition, planDeploy, type LiveState } from './plan.ts';
import { formatSpecTag, matchSpec, parseSpecTag, TAG_SPEC, type SpecRecord } from './spec.ts';
import { desiredTaskDefinition, normaliseTaskDefinition, sameTaskDefinition, specFingerprint, TAG_GIT_SHA, tagValue } from './task-definition.ts';
import { deploySummary, diffReport, liveTagOf } from './diff.ts';
import { appConfig, awsEnv, deployment, sandboxEnv, service, tdArn } from './fixtures.test-support.ts';

const IMG_A = '127.0.0.1:5000/ferry-sample/api:ft-aaaaaaaaaaaaaaaaaaaa';
const IMG_B = '127.0.0.1:5000/ferry-sample/api:ft-bbbbbbbbbbbbbbbbbbbb';
const tagOf = (image: string) => image.split(':').pop()!;
const app = appConfig({ containerHealthCheck: { command: ['CMD-SHELL', 'true'], interval: 10 } });
const fp = (a: AppDeployConfig = app, image = IMG_A) => specFingerprint(a, sandboxEnv, image, tagOf(image));

/** What RegisterTaskDefinition would hold after registering `input` as revision `rev`. */
function registered(input: ReturnType<typeof desiredTaskDefinition>, rev = 1) {
  const { tags, ...rest } = input;
  return { taskDefinition: { ...rest, taskDefinitionArn: tdArn(rev), revision: rev, status: 'ACTIVE' } as EcsTaskDefinition, tags: tags ?? [] };
}

const bootstrap = (a = app, image = IMG_A, gitSha = 'sha1') => registered(desiredTaskDefinition(null, a, sandboxEnv, image, { contentTag: tagOf(image), gitSha }));

/** The comparison the full path makes: the live revision patched with config `b`, normalised, vs live. */
function fullPathSame(live: ReturnType<typeof registered>, b: AppDeployConfig, image: string): boolean {
  const next = desiredTaskDefinition(live, b, sandboxEnv, image, { contentTag: tagOf(image), gitSha: 'other-sha' });
  return sameTaskDefinition(normaliseTaskDefinition(live.taskDefinition, live.tags), normaliseTaskDefinition(next));
}

test('specFingerprint: versioned short hash, independent of git sha, deployer and environment kind', () => {
  assert.match(fp(), /^v2-[0-9a-f]{24}$/);
  assert.is(fp(), fp(appConfig({ containerHealthCheck: { command: ['CMD-SHELL', 'true'], interval: 10 } })), 'deterministic');
  // The fingerprint takes no git sha, deployer or timestamp: two registrations from different
  // commits (different ferry:git-sha) are the same definition and the same fingerprint.
  const commitA = bootstrap(app, IMG_A, 'aaaa');
  const commitB = desiredTaskDefinition(null, app, sandboxEnv, IMG_A, { contentTag: tagOf(IMG_A), gitSha: 'bbbb-dirty' });
  assert.ok(sameTaskDefinition(normaliseTaskDefinition(commitA.taskDefinition, commitA.tags), normaliseTaskDefinition(commitB)));
  assert.is.not(tagValue(commitA.tags, TAG_GIT_SHA), tagValue(commitB.tags, TAG_GIT_SHA));
  // The execution role only matters when bootstrapping; patching a live revision ignores it.
  assert.ok(fullPathSame(registered(desiredTaskDefinition(null, app, awsEnv, IMG_A, { contentTag: tagOf(IMG_A) })), app, IMG_A));
});

const variants: [string, AppDeployConfig, string, boolean][] = [
  ['same config', appConfig({ containerHealthCheck: { command: ['CMD-SHELL', 'true'], interval: 10 } }), IMG_A, true],
  ['environment in another order', { ...app, environment: { CORS_ORIGIN: '*', LOG_LEVEL: 'info' } }, IMG_A, true],
  ['cpu written as vCPU', { ...app, cpu: '0.25 vCPU' }, IMG_A, true],
  ['desiredCount (a service setting)', { ...app, desiredCount: 5 }, IMG_A, true],
  ['deployment settings (service settings)', { ...app, deployment: { ...app.deployment, maximumPercent: 150 } }, IMG_A, true],
  ['image', app, IMG_B, false],
  ['environment value', { ...app, environment: { ...app.environment, LOG_LEVEL: 'debug' } }, IMG_A, false],
  ['environment variable added', { ...app, environment: { ...app.environment, NEW: '1' } }, IMG_A, false],
  ['secret', { ...app, secrets: { DB_PASSWORD: 'arn:aws:ssm:eu-west-1:1:parameter/db' } }, IMG_A, false],
  ['cpu', { ...app, cpu: '512' }, IMG_A, false],
  ['memory', { ...app, memory: '1024' }, IMG_A, false],
  ['container port', { ...app, containerPort: 8080 }, IMG_A, false],
  ['container health check', { ...app, containerHealthCheck: { command: ['CMD-SHELL', 'true'], interval: 30 } }, IMG_A, false],
  ['family', { ...app, family: 'api-v2' }, IMG_A, false],
  ['environment variable no longer declared, environmentMode replace', { ...app, environment: { LOG_LEVEL: 'info' }, environmentMode: 'replace' }, IMG_A, false],
  ['platform declared', { ...app, declared: [...app.declared, 'platform'], platform: 'linux/arm64' }, IMG_A, false],
  ['stop timeout', { ...app, stopTimeout: 20 }, IMG_A, false],
  ['task role', { ...app, taskRoleArn: 'arn:aws:iam::000000000000:role/api' }, IMG_A, false],
];

for (const [name, b, image, same] of variants) {
  test(`specFingerprint agrees with the full comparison: ${name} -> ${same ? 'same' : 'different'}`, () => {
    const live = bootstrap();
    assert.is(fp(b, image) === fp(), same, 'fingerprint');
    // A fingerprint change of a field the full path ignores would only cost reads; a field the
    // full path sees that the fingerprint missed would be a wrong "up to date". Check both ways.
    if (name !== 'family') assert.is(fullPathSame(live, b, image), same, 'full path');
  });
}

test('a variable no longer declared is kept by merge: the full path finds nothing to do (the fingerprint may differ: only reads)', () => {
  assert.ok(fullPathSame(bootstrap(), { ...app, environment: { LOG_LEVEL: 'info' } }, IMG_A));
  assert.ok(fullPathSame(bootstrap(), { ...app, environment: {}, declared: app.declared.filter((f) => f !== 'environment') }, IMG_A));
});

test('patching is idempotent: a revision registered from a config equals that config patched onto it', () => {
  // What makes the spec tag sound: patch(patch(T, F), F) == patch(T, F), once normalised.
  const older = bootstrap(appConfig({ environment: { OLD: '1' }, cpu: '1024' }), IMG_B);
  const live = registered(desiredTaskDefinition(older, app, sandboxEnv, IMG_A, { contentTag: tagOf(IMG_A), gitSha: 'x' }), 2);
  assert.ok(fullPathSame(live, app, IMG_A));
});

const arn = tdArn(7);
const record = (over: Partial<SpecRecord> = {}): SpecRecord => ({ taskDefinitionArn: arn, fingerprint: fp(), contentTag: tagOf(IMG_A), gitSha: 'abc123-dirty', ...over });

test('spec tag value: round trip, ECS-safe characters, shorter forms for long ARNs, unreadable values ignored', () => {
  const v = formatSpecTag(record())!;
  assert.ok(/^[A-Za-z0-9 +\-=._:/@]+$/.test(v), v);
  assert.equal(parseSpecTag(v), record());
  const long = `arn:aws:ecs:us-east-1:000000000000:task-definition/${'f'.repeat(150)}:12`;
  const lv = formatSpecTag(record({ taskDefinitionArn: long }))!;
  assert.ok(lv.length <= 256);
  assert.equal(parseSpecTag(lv), { taskDefinitionArn: long, fingerprint: fp(), contentTag: tagOf(IMG_A) });
  assert.is(formatSpecTag(record({ taskDefinitionArn: `arn:${'x'.repeat(250)}` })), undefined);
  assert.is(formatSpecTag(record({ gitSha: 'not|safe' }))!.split(' ')[3], '-');
  for (const bad of [undefined, '', 'garbage', `${arn}|${fp()}`, `${arn} v1-nothex`, `${arn} ${fp()} a b extra`]) assert.is(parseSpecTag(bad), undefined, String(bad));
});

const withTag = (value: string | undefined, deployments = [deployment({ taskDefinition: arn })], over = {}) =>
  service(deployments, { serviceArn: 'arn:aws:ecs:us-east-1:000000000000:service/ferry-local/api', tags: value === undefined ? [] : [{ key: TAG_SPEC, value }, { key: 'ferry:lock', value: 'x' }], ...over });

test('matchSpec: only a tag naming the PRIMARY revision and this fingerprint vouches', () => {
  assert.equal(matchSpec(withTag(formatSpecTag(record())), fp()), record());
  assert.is(matchSpec(withTag(undefined), fp()), undefined, 'no tag');
  assert.is(matchSpec(withTag(formatSpecTag(record({ taskDefinitionArn: tdArn(6) }))), fp()), undefined, 'rolled back / updated outside ferry');
  assert.is(matchSpec(withTag(formatSpecTag(record())), fp(app, IMG_B)), undefined, 'config or image changed');
  const rollingOut = [deployment({ id: 'ecs-svc/9', taskDefinition: tdArn(8), rolloutState: 'IN_PROGRESS' }), deployment({ id: 'ecs-svc/1', status: 'ACTIVE', taskDefinition: arn })];
  assert.is(matchSpec(withTag(formatSpecTag(record()), rollingOut), fp()), undefined, 'the tagged revision is no longer PRIMARY');
  // Without a fingerprint (the deploy summary only needs what the PRIMARY runs): any fingerprint, same revision.
  assert.equal(matchSpec(withTag(formatSpecTag(record()))), record());
  assert.is(matchSpec(withTag(formatSpecTag(record({ taskDefinitionArn: tdArn(6) })))), undefined, 'another revision never vouches');
  assert.is(matchSpec(withTag(formatSpecTag(record()), rollingOut)), undefined);
});

const desiredFor = (live: LiveState | null, a = app, image = IMG_A) => ({
  app: a,
  env: sandboxEnv,
  imageRef: image,
  contentTag: tagOf(image),
  registerInput: desiredTaskDefinition(live?.taskDef ?? null, a, sandboxEnv, image, { contentTag: tagOf(image), gitSha: 'sha2' }),
  fingerprint: fp(a, image),
});

function specOnly(over: Partial<Parameters<typeof service>[1]> = {}, deployments = [deployment({ taskDefinition: arn })]): LiveState {
  const svc = withTag(formatSpecTag(record()), deployments, over);
  return { service: svc, taskDef: null, spec: matchSpec(svc, fp()) ?? record() };
}

test('spec-matched live state plans up-to-date with an empty diff, and needs no task definition', () => {
  const live = specOnly();
  const p = planDeploy(live, desiredFor(live));
  assert.is(p.kind, 'up-to-date', JSON.stringify(p));
  assert.is(p.taskDefinitionDiff, '');
  assert.ok(p.kind === 'up-to-date' && p.taskDefinitionArn === arn);
  assert.not.ok(needsLiveTaskDefinition(live, p));
  const report = diffReport({ plan: p, localTag: tagOf(IMG_A), ...(({ tag, gitSha }) => ({ liveTag: tag, liveGitSha: gitSha }))(liveTagOf(live, app)), imagePushed: true });
  assert.not.ok(report.changed);
  assert.match(report.lines[0], new RegExp(`live ${tagOf(IMG_A)} \\(built from abc123-dirty\\)`));
});

test('spec-matched but something else to do -> the plan needs the live task definition', () => {
  // The deployment configuration counts only where deploy.json declares it (a service ferry did not
  // create keeps its own settings): this app declares minimumHealthyPercent (100).
  const declaring = appConfig({ declared: [...app.declared, 'deployment'], deployment: { ...app.deployment, declared: ['minimumHealthyPercent'] } });
  const cases: [string, LiveState, { force?: boolean }][] = [
    ['deployment configuration differs', specOnly({ deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } } }), {}],
    ['PRIMARY FAILED', specOnly({}, [deployment({ taskDefinition: arn, rolloutState: 'FAILED' })]), {}],
    ['PRIMARY IN_PROGRESS', specOnly({}, [deployment({ id: 'ecs-svc/2', taskDefinition: arn, rolloutState: 'IN_PROGRESS' }), deployment({ status: 'ACTIVE', taskDefinition: tdArn(6) })]), {}],
    ['--force', specOnly(), { force: true }],
  ];
  for (const [name, live, opts] of cases) {
    const p = planDeploy(live, desiredFor(live, declaring), opts);
    assert.is.not(p.kind, 'up-to-date', name);
    assert.ok(needsLiveTaskDefinition(live, p), name);
  }
  // Read in full, the same state plans exactly as today.
  const dc = { minimumHealthyPercent: 50, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } };
  const full: LiveState = { service: specOnly({ deploymentConfiguration: dc }).service, taskDef: bootstrap() };
  const p = planDeploy(full, desiredFor(full, declaring));
  assert.ok(p.kind === 'update' && p.reasons.join() === 'the deployment configuration differs', JSON.stringify(p));
  assert.not.ok(needsLiveTaskDefinition(full, p));
  // Not declared: the same live settings are the service's own, nothing to do.
  const own = specOnly({ deploymentConfiguration: dc });
  assert.is(planDeploy(own, desiredFor(own)).kind, 'up-to-date');
  // Only the count differs: still up to date (the count alone is set), no task definition read.
  const scaled = specOnly({ desiredCount: 1 });
  const q = planDeploy(scaled, desiredFor(scaled));
  assert.ok(q.kind === 'up-to-date' && q.scale?.to === 2, JSON.stringify(q));
  assert.not.ok(needsLiveTaskDefinition(scaled, q));
});

test('a spec record for another ARN or fingerprint never counts as the same definition', () => {
  for (const spec of [record({ taskDefinitionArn: tdArn(6) }), record({ fingerprint: fp(app, IMG_B) })]) {
    const live: LiveState = { service: withTag(formatSpecTag(spec)), taskDef: null, spec };
    const p = planDeploy(live, desiredFor(live));
    assert.is(p.kind, 'update');
    assert.ok(needsLiveTaskDefinition(live, p));
  }
});

test('plans carry what the spec tag records after the rollout: fingerprint and the revision git sha', () => {
  const full: LiveState = { service: withTag(undefined), taskDef: bootstrap() };
  const upd = planDeploy(full, desiredFor(full, app, IMG_B));
  assert.equal(upd.spec, { fingerprint: fp(app, IMG_B), gitSha: 'sha2' });
  const created = planDeploy(null, desiredFor(null));
  assert.equal(created.spec, { fingerprint: fp(), gitSha: 'sha2' });
  const rolling: LiveState = { service: withTag(undefined, [deployment({ id: 'ecs-svc/2', taskDefinition: tdArn(1), rolloutState: 'IN_PROGRESS' })]), taskDef: bootstrap(app, IMG_A, 'sha-of-live') };
  const watch = planDeploy(rolling, desiredFor(rolling));
  assert.ok(watch.kind === 'watch');
  assert.equal(watch.spec, { fingerprint: fp(), gitSha: 'sha-of-live' }, 'a watched revision records its own git sha');
});

test('deploySummary and liveTagOf work on a spec-only live state', () => {
  const live = specOnly();
  const resolved = { app, env: sandboxEnv } as Parameters<typeof deploySummary>[1];
  const s = deploySummary(live, resolved);
  assert.is(s.revision, 'api:7');
  assert.is(s.tag, tagOf(IMG_A));
  assert.equal(liveTagOf(live, app), { tag: tagOf(IMG_A), gitSha: 'abc123-dirty' });
});

test.run();
