import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EcsTaskDefinition } from '@ferry/aws';
import type { FerryError } from '@ferry/core';
import {
  compatibilitiesFor,
  runtimePlatformOf,
  containerImage,
  desiredTaskDefinition,
  diffLines,
  diffTaskDefinitions,
  imageTagOf,
  maskSecrets,
  normaliseCpu,
  normaliseMemory,
  normaliseTaskDefinition,
  sameTaskDefinition,
  stripServerFields,
  TAG_CONTENT,
  TAG_GIT_SHA,
} from './task-definition.ts';
import { appConfig, awsEnv, sandboxEnv, tdArn } from './fixtures.test-support.ts';

const IMG1 = '127.0.0.1:5000/ferry-sample/api:ft-aaaaaaaaaaaaaaaaaaaa';
const IMG2 = '127.0.0.1:5000/ferry-sample/api:ft-bbbbbbbbbbbbbbbbbbbb';

/** A task definition as DescribeTaskDefinition returns it: server fields included, hostPort filled. */
function described(over: Partial<EcsTaskDefinition> = {}): EcsTaskDefinition {
  return {
    taskDefinitionArn: tdArn(3),
    family: 'api',
    revision: 3,
    status: 'ACTIVE',
    registeredAt: new Date(1_700_000_000_000),
    registeredBy: 'arn:aws:iam::000000000000:root',
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    compatibilities: ['EC2', 'FARGATE'],
    networkMode: 'awsvpc',
    requiresCompatibilities: ['FARGATE'],
    cpu: '256',
    memory: '512',
    volumes: [],
    placementConstraints: [],
    containerDefinitions: [
      {
        name: 'api',
        image: IMG1,
        essential: true,
        cpu: 0,
        mountPoints: [],
        volumesFrom: [],
        environment: [
          { name: 'LOG_LEVEL', value: 'info' },
          { name: 'CORS_ORIGIN', value: '*' },
          { name: 'PORT', value: '3000' },
        ],
        portMappings: [{ containerPort: 3000, hostPort: 3000, protocol: 'tcp' }],
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } },
      },
      { name: 'sidecar', image: 'envoy:1', essential: false },
    ],
    ...over,
  };
}

test('stripServerFields drops every field Register does not accept and keeps the rest', () => {
  const s = stripServerFields(described()) as unknown as Record<string, unknown>;
  for (const f of ['taskDefinitionArn', 'revision', 'status', 'requiresAttributes', 'compatibilities', 'registeredAt', 'registeredBy']) assert.not.ok(f in s, f);
  assert.is(s.family, 'api');
  assert.is(s.networkMode, 'awsvpc');
  assert.equal(s.requiresCompatibilities, ['FARGATE']);
});

test('desiredTaskDefinition from live changes only the image and declared fields', () => {
  const live = { taskDefinition: described(), tags: [{ key: 'team', value: 'core' }, { key: TAG_CONTENT, value: 'ft-old' }, { key: TAG_GIT_SHA, value: 'abc' }] };
  const app = appConfig({ environment: { LOG_LEVEL: 'debug' }, secrets: { DB_PASSWORD: 'arn:aws:ssm:eu-west-1:1:parameter/db' }, cpu: '512' });
  const d = desiredTaskDefinition(live, app, sandboxEnv, IMG2, { contentTag: 'ft-new', gitSha: 'def' });
  const api = d.containerDefinitions!.find((c) => c.name === 'api')!;
  assert.is(api.image, IMG2);
  // Declared keys set, the others kept; PORT=<containerPort> on every backend (the PORT contract, docs/sandbox.md).
  assert.equal(api.environment, [{ name: 'LOG_LEVEL', value: 'debug' }, { name: 'CORS_ORIGIN', value: '*' }, { name: 'PORT', value: '3000' }]);
  assert.equal(api.secrets, [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:ssm:eu-west-1:1:parameter/db' }]);
  assert.equal(api.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/api' } }, 'undeclared fields are kept');
  assert.equal(api.portMappings, [{ containerPort: 3000, hostPort: 3000, protocol: 'tcp' }]);
  assert.equal(d.containerDefinitions![1], { name: 'sidecar', image: 'envoy:1', essential: false }, 'other containers untouched');
  assert.is(d.cpu, '512');
  assert.equal(d.tags, [{ key: 'team', value: 'core' }, { key: TAG_CONTENT, value: 'ft-new' }, { key: TAG_GIT_SHA, value: 'def' }]);
  assert.not.ok('revision' in d);
});

test('a revision made elsewhere keeps everything deploy.json does not declare', () => {
  // What Terraform or the console registered: bigger task, roles, ARM, its own log routing, a sidecar.
  const outside = described({
    cpu: '1024',
    memory: '2048',
    executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
    taskRoleArn: 'arn:aws:iam::000000000000:role/task',
    runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  });
  outside.containerDefinitions![0] = { ...outside.containerDefinitions![0], secrets: [{ name: 'DB_URL', valueFrom: 'arn:aws:ssm:eu-west-1:1:parameter/db' }], stopTimeout: 60 };
  const live = { taskDefinition: outside, tags: [] };
  // Only an image: nothing declared but the defaults.
  const bare = appConfig({ declared: [], environment: {}, secrets: {}, containerPort: undefined, logs: {}, cpu: '256', memory: '512' });
  const d = desiredTaskDefinition(live, bare, awsEnv, IMG2, { contentTag: 't' });
  const want = { ...normaliseTaskDefinition(outside), containerDefinitions: undefined, tags: undefined };
  const got = { ...normaliseTaskDefinition(d), containerDefinitions: undefined, tags: undefined };
  assert.equal(got, want, 'task-level fields untouched (cpu/memory defaults not forced)');
  const api = d.containerDefinitions![0];
  assert.equal({ ...api, image: IMG1 }, outside.containerDefinitions![0], 'the container differs in its image only');
  assert.equal(d.containerDefinitions![1], outside.containerDefinitions![1]);
  // Declared: applied.
  const declared = appConfig({ declared: ['cpu', 'memory', 'platform', 'logs', 'environment'], cpu: '512', memory: '1024', platform: 'linux/amd64', logs: {}, environment: { A: '1' } });
  const e = desiredTaskDefinition(live, declared, awsEnv, IMG2, { contentTag: 't' });
  assert.is(e.cpu, '512');
  assert.is(e.memory, '1024');
  assert.equal(e.runtimePlatform, { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' });
  assert.is(e.executionRoleArn, 'arn:aws:iam::000000000000:role/exec', 'a role the revision has is kept');
  assert.equal(e.containerDefinitions![0].logConfiguration?.logDriver, 'awslogs');
  // The live revision's own variables (PORT among them) are kept; the declared A is added.
  assert.equal(e.containerDefinitions![0].environment, [{ name: 'LOG_LEVEL', value: 'info' }, { name: 'CORS_ORIGIN', value: '*' }, { name: 'PORT', value: '3000' }, { name: 'A', value: '1' }]);
  assert.equal(e.containerDefinitions![0].secrets, [{ name: 'DB_URL', valueFrom: 'arn:aws:ssm:eu-west-1:1:parameter/db' }], 'secrets not declared: kept');
});

test('merge: a name declared as a secret leaves the live environment, and a declared variable a live secret of that name', () => {
  const live = { taskDefinition: described(), tags: [] };
  const toSecret = desiredTaskDefinition(live, appConfig({ environment: {}, secrets: { LOG_LEVEL: 'arn:aws:ssm:us-east-1:1:parameter/l' } }), sandboxEnv, IMG2, { contentTag: 't' }).containerDefinitions![0];
  assert.not.ok(toSecret.environment!.some((e) => e.name === 'LOG_LEVEL'), 'no plaintext copy left');
  assert.equal(toSecret.secrets, [{ name: 'LOG_LEVEL', valueFrom: 'arn:aws:ssm:us-east-1:1:parameter/l' }]);
  const liveSecret = described();
  liveSecret.containerDefinitions![0] = { ...liveSecret.containerDefinitions![0], secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:ssm:us-east-1:1:parameter/t' }] };
  const toVar = desiredTaskDefinition({ taskDefinition: liveSecret, tags: [] }, appConfig({ environment: { TOKEN: 'public' }, secrets: {} }), sandboxEnv, IMG2, { contentTag: 't' }).containerDefinitions![0];
  assert.is(toVar.secrets, undefined);
  assert.ok(toVar.environment!.some((e) => e.name === 'TOKEN' && e.value === 'public'));
});

test('environmentMode replace: the container gets exactly the declared environment and secrets', () => {
  const d = desiredTaskDefinition({ taskDefinition: described(), tags: [] }, appConfig({ environmentMode: 'replace', environment: { ONLY: 'x' } }), sandboxEnv, IMG2, { contentTag: 't' });
  // PORT is the contract's variable of the declared containerPort (docs/sandbox.md), not a kept one.
  assert.equal(d.containerDefinitions![0].environment, [{ name: 'ONLY', value: 'x' }, { name: 'PORT', value: '3000' }]);
  assert.is(d.containerDefinitions![0].secrets, undefined);
});

test('a containerName matching none of the live containers is an error listing them', () => {
  try {
    desiredTaskDefinition({ taskDefinition: described(), tags: [] }, appConfig({ containerName: 'web' }), sandboxEnv, IMG2, { contentTag: 't' });
    assert.unreachable('no error');
  } catch (e) {
    assert.is((e as FerryError).code, 'CONFIG_INVALID');
    assert.match((e as Error).message, /no container named "web"; its containers: "api", "sidecar"\. Set "containerName"/);
  }
});

test('platform -> runtimePlatform; launch type and capacity providers -> compatibilities of a new definition', () => {
  assert.equal(runtimePlatformOf('linux/arm64'), { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' });
  assert.throws(() => runtimePlatformOf('linux/arm/v7'), /no ECS runtime platform/);
  const arm = desiredTaskDefinition(null, appConfig({ declared: ['platform'], platform: 'linux/arm64' }), sandboxEnv, IMG1, { contentTag: 't' });
  assert.equal(arm.runtimePlatform, { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' });
  assert.equal(compatibilitiesFor({}), ['FARGATE']);
  assert.equal(compatibilitiesFor({ launchType: 'EC2' }), ['EC2']);
  assert.equal(compatibilitiesFor({ capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }, { capacityProvider: 'FARGATE', base: 1 }] }), ['FARGATE']);
  assert.equal(compatibilitiesFor({ capacityProviderStrategy: [{ capacityProvider: 'my-asg-provider' }] }), ['EC2']);
});

test('a new revision does not inherit the completion marks of the live one', () => {
  const live = { taskDefinition: described(), tags: [{ key: 'ferry:status', value: 'completed' }, { key: 'ferry:completed-at', value: '123' }, { key: 'team', value: 'x' }] };
  const d = desiredTaskDefinition(live, appConfig(), sandboxEnv, IMG2, { contentTag: 'ft-b' });
  assert.equal(d.tags, [{ key: 'team', value: 'x' }, { key: TAG_CONTENT, value: 'ft-b' }]);
});

test('desiredTaskDefinition sets the container health check when the config declares one', () => {
  const hc = { command: ['CMD', 'true'], interval: 10 };
  const d = desiredTaskDefinition({ taskDefinition: described(), tags: [] }, appConfig({ containerHealthCheck: hc }), sandboxEnv, IMG2, { contentTag: 't' });
  assert.equal(d.containerDefinitions![0].healthCheck, hc);
});

test('stopTimeout and initProcessEnabled: sent when declared (other linuxParameters kept), left alone when not', () => {
  // ContainerDefinition.stopTimeout and linuxParameters.initProcessEnabled: ECS API reference,
  // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
  const base = described();
  base.containerDefinitions![0] = { ...base.containerDefinitions![0], stopTimeout: 60, linuxParameters: { capabilities: { add: ['SYS_PTRACE'] } } };
  const live = { taskDefinition: base, tags: [] };
  const declared = desiredTaskDefinition(live, appConfig({ stopTimeout: 10, initProcessEnabled: true }), sandboxEnv, IMG2, { contentTag: 't' }).containerDefinitions![0];
  assert.is(declared.stopTimeout, 10);
  assert.equal(declared.linuxParameters, { capabilities: { add: ['SYS_PTRACE'] }, initProcessEnabled: true });
  const silent = desiredTaskDefinition(live, appConfig(), sandboxEnv, IMG2, { contentTag: 't' }).containerDefinitions![0];
  assert.is(silent.stopTimeout, 60, 'a live value the config does not declare stays');
  assert.equal(silent.linuxParameters, { capabilities: { add: ['SYS_PTRACE'] } });
  const fresh = desiredTaskDefinition(null, appConfig(), sandboxEnv, IMG2, { contentTag: 't' }).containerDefinitions![0];
  assert.is(fresh.stopTimeout, undefined);
  assert.is(fresh.linuxParameters, undefined);
});

test('desiredTaskDefinition bootstraps awsvpc/FARGATE with the environment\'s execution role (aws and sandbox alike)', () => {
  const d = desiredTaskDefinition(null, appConfig(), awsEnv, IMG1, { contentTag: 'ft-a', gitSha: 'sha' });
  assert.is(d.networkMode, 'awsvpc');
  assert.equal(d.requiresCompatibilities, ['FARGATE']);
  assert.is(d.executionRoleArn, awsEnv.executionRoleArn);
  assert.equal(d.containerDefinitions![0].portMappings, [{ containerPort: 3000, hostPort: 3000, protocol: 'tcp' }]);
  assert.equal(d.containerDefinitions![0].environment, [{ name: 'CORS_ORIGIN', value: '*' }, { name: 'LOG_LEVEL', value: 'info' }, { name: 'PORT', value: '3000' }]);
  const sandbox = desiredTaskDefinition(null, appConfig({ containerPort: undefined }), sandboxEnv, IMG1, { contentTag: 'ft-a' });
  // The sandbox refuses awslogs on Fargate without an execution role as ECS does: its environment
  // sends the sandbox's default role like any other environment.
  assert.is(sandbox.executionRoleArn, sandboxEnv.executionRoleArn);
  assert.not.ok('executionRoleArn' in desiredTaskDefinition(null, appConfig(), { ...awsEnv, executionRoleArn: undefined }, IMG1, { contentTag: 'ft-a' }));
  assert.is(sandbox.containerDefinitions![0].portMappings, undefined, 'a worker has no port mapping');
});

test('normalise: a described definition equals the register input it came from', () => {
  const live = { taskDefinition: described(), tags: [{ key: TAG_CONTENT, value: 'ft-a' }, { key: TAG_GIT_SHA, value: 'one' }] };
  const again = desiredTaskDefinition(live, appConfig(), sandboxEnv, IMG1, { contentTag: 'ft-a', gitSha: 'two' });
  assert.ok(sameTaskDefinition(normaliseTaskDefinition(live.taskDefinition, live.tags), normaliseTaskDefinition(again)), 'only the git sha differs: same');
  const other = desiredTaskDefinition(live, appConfig(), sandboxEnv, IMG2, { contentTag: 'ft-b' });
  assert.not.ok(sameTaskDefinition(normaliseTaskDefinition(live.taskDefinition, live.tags), normaliseTaskDefinition(other)));
});

const normCases: Array<[string, EcsTaskDefinition, EcsTaskDefinition]> = [
  [
    'environment order',
    described(),
    described({ containerDefinitions: [{ ...described().containerDefinitions![0], environment: [...described().containerDefinitions![0].environment!].reverse() }, described().containerDefinitions![1]] }),
  ],
  ['cpu in vCPU', described({ cpu: '0.25 vCPU', memory: '0.5 GB' }), described()],
  ['hostPort implied by awsvpc', described(), described({ containerDefinitions: [{ ...described().containerDefinitions![0], portMappings: [{ containerPort: 3000 }] }, described().containerDefinitions![1]] })],
  ['container order', described(), described({ containerDefinitions: [...described().containerDefinitions!].reverse() })],
  ['empty members', described(), described({ volumes: undefined, placementConstraints: undefined })],
];
for (const [label, a, b] of normCases) {
  test(`normalise ignores ${label}`, () => {
    assert.equal(normaliseTaskDefinition(a), normaliseTaskDefinition(b));
    assert.is(diffTaskDefinitions(normaliseTaskDefinition(a), normaliseTaskDefinition(b)), '');
  });
}

const units: Array<[string | undefined, string | undefined, string | undefined]> = [
  ['256', '256', undefined],
  ['0.25 vCPU', '256', undefined],
  ['1 vCPU', '1024', undefined],
  ['2 vcpu', '2048', undefined],
  [undefined, undefined, undefined],
];
for (const [cpu, want] of units) test(`normaliseCpu(${cpu})`, () => assert.is(normaliseCpu(cpu), want));
for (const [mem, want] of [['512', '512'], ['1 GB', '1024'], ['0.5 GB', '512'], ['2gb', '2048']] as const) test(`normaliseMemory(${mem})`, () => assert.is(normaliseMemory(mem), want));

test('diffTaskDefinitions shows the changed image line and context only', () => {
  const a = normaliseTaskDefinition(described());
  const b = normaliseTaskDefinition(described({ containerDefinitions: [{ ...described().containerDefinitions![0], image: IMG2 }, described().containerDefinitions![1]] }));
  const text = diffTaskDefinitions(a, b);
  assert.ok(text.includes(`-       "image": "${IMG1}"`), text);
  assert.ok(text.includes(`+       "image": "${IMG2}"`), text);
  assert.not.ok(text.includes('"family"'), 'far-away lines are elided');
});

test('diffTaskDefinitions masks secret-looking values but still shows that they changed', () => {
  const env = (v: string) => described({ containerDefinitions: [{ ...described().containerDefinitions![0], environment: [{ name: 'API_TOKEN', value: v }] }] });
  const text = diffTaskDefinitions(normaliseTaskDefinition(env('hunter2-old')), normaliseTaskDefinition(env('hunter2-new')));
  assert.not.ok(text.includes('hunter2'), text);
  assert.match(text, /- .*<masked sha256:[0-9a-f]{8}>/);
  assert.match(text, /\+ .*<masked sha256:[0-9a-f]{8}>/);
});

test('maskSecrets keeps ordinary values', () => {
  const m = maskSecrets(normaliseTaskDefinition(described())) as { containerDefinitions: { environment?: { value: string }[] }[] };
  assert.equal(m.containerDefinitions[0].environment!.map((e) => e.value), ['*', 'info', '3000']);
});

test('diff from nothing lists everything as added', () => {
  const text = diffTaskDefinitions(null, normaliseTaskDefinition(described()));
  assert.ok(text.split('\n').every((l) => l.startsWith('+ ') || l === '  …'), text);
});

const diffCases: Array<[string[], string[], string[]]> = [
  [['a', 'b', 'c'], ['a', 'c'], ['  a', '- b', '  c']],
  [['a'], ['a', 'b'], ['  a', '+ b']],
  [['x'], ['y'], ['- x', '+ y']],
  [[], [], []],
];
for (const [a, b, want] of diffCases) test(`diffLines ${JSON.stringify(a)} -> ${JSON.stringify(b)}`, () => assert.equal(diffLines(a, b), want));

const tagCases: Array<[string | undefined, string | undefined]> = [
  ['127.0.0.1:5000/ferry-sample/api:ft-abc', 'ft-abc'],
  ['123.dkr.ecr.eu-west-1.amazonaws.com/api:v1', 'v1'],
  ['127.0.0.1:5000/api', undefined],
  ['api@sha256:abcd', undefined],
  [undefined, undefined],
];
for (const [ref, want] of tagCases) test(`imageTagOf(${ref})`, () => assert.is(imageTagOf(ref), want));

test('containerImage prefers the named container', () => {
  assert.is(containerImage(described(), 'sidecar'), 'envoy:1');
  assert.is(containerImage(described(), 'missing'), IMG1);
  assert.is(containerImage(undefined), undefined);
});

test.run();
