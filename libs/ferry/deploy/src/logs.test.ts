import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EcsTaskDefinition } from '@ferry/aws';
import { FerryError } from '@ferry/core';
import { checkLogsPrerequisites, containerLogConfiguration, type LiveRoleFacts, logGroupToEnsure, logsPlan, taskLogStreams } from './logs.ts';
import { desiredTaskDefinition, specFingerprint } from './task-definition.ts';
import { appConfig, awsEnv, sandboxEnv, tdArn } from './fixtures.test-support.ts';

const IMG = '127.0.0.1:5000/ferry-sample/api:ft-aaaaaaaaaaaaaaaaaaaa';
const meta = { contentTag: 'ft-aaaaaaaaaaaaaaaaaaaa' };
const firelens = { logDriver: 'awsfirelens', options: { Name: 'cloudwatch', region: 'eu-west-1' } };

// Option names and the stream naming: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
const derivation: [string, Parameters<typeof appConfig>[0], typeof sandboxEnv, unknown][] = [
  [
    'default: awslogs to /ferry/<cluster>/<service>, prefix the project',
    { logs: {} },
    sandboxEnv,
    { logDriver: 'awslogs', options: { 'awslogs-group': '/ferry/ferry-local/api', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'api' } },
  ],
  [
    'group and prefix from config, region from the environment',
    { logs: { group: '/teams/api', streamPrefix: 'web', retentionDays: 7 } },
    awsEnv,
    { logDriver: 'awslogs', options: { 'awslogs-group': '/teams/api', 'awslogs-region': 'eu-west-1', 'awslogs-stream-prefix': 'web' } },
  ],
  ['a logConfiguration is passed through', { logs: { logConfiguration: firelens } }, awsEnv, firelens],
  ['false: nothing from ferry', { logs: false }, awsEnv, undefined],
];
for (const [name, over, env, expected] of derivation) {
  test(`log configuration: ${name}`, () => {
    assert.equal(containerLogConfiguration(logsPlan(appConfig(over), env)), expected);
    const td = desiredTaskDefinition(null, appConfig(over), env, IMG, meta);
    assert.equal(td.containerDefinitions?.[0].logConfiguration, expected);
  });
}

test('log group to create: only for awslogs, with the retention (default 30 days)', () => {
  assert.equal(logGroupToEnsure(logsPlan(appConfig({ logs: {} }), sandboxEnv)), { name: '/ferry/ferry-local/api', retentionDays: 30 });
  assert.equal(logGroupToEnsure(logsPlan(appConfig({ logs: { retentionDays: 3 } }), awsEnv)), { name: '/ferry/ferry-staging/api', retentionDays: 3 });
  assert.is(logGroupToEnsure(logsPlan(appConfig({ logs: { logConfiguration: firelens } }), awsEnv)), undefined);
  assert.is(logGroupToEnsure(logsPlan(appConfig({ logs: false }), awsEnv)), undefined);
});

function live(logConfiguration?: unknown, executionRoleArn?: string): { taskDefinition: EcsTaskDefinition; tags: [] } {
  return {
    taskDefinition: {
      taskDefinitionArn: tdArn(3),
      family: 'api',
      networkMode: 'awsvpc',
      ...(executionRoleArn && { executionRoleArn }),
      containerDefinitions: [{ name: 'api', image: IMG, essential: true, ...(logConfiguration ? { logConfiguration } : {}) }],
    } as EcsTaskDefinition,
    tags: [],
  };
}

test('live revision: false keeps the container\'s own log configuration, the default replaces it', () => {
  const own = { logDriver: 'splunk', options: { 'splunk-url': 'https://splunk.example.com' } };
  assert.equal(desiredTaskDefinition(live(own), appConfig({ logs: false }), awsEnv, IMG, meta).containerDefinitions?.[0].logConfiguration, own);
  assert.equal(desiredTaskDefinition(live(own), appConfig({ logs: {} }), awsEnv, IMG, meta).containerDefinitions?.[0].logConfiguration?.logDriver, 'awslogs');
});

test('live revision without an execution role gets the environment\'s when awslogs needs it', () => {
  const role = 'arn:aws:iam::123456789012:role/other';
  assert.is(desiredTaskDefinition(live(), appConfig({ logs: {} }), awsEnv, IMG, meta).executionRoleArn, awsEnv.executionRoleArn);
  assert.is(desiredTaskDefinition(live(undefined, role), appConfig({ logs: {} }), awsEnv, IMG, meta).executionRoleArn, role);
  assert.is(desiredTaskDefinition(live(), appConfig({ logs: false }), awsEnv, IMG, meta).executionRoleArn, undefined);
  // The sandbox environment has a default execution role (config.ts sandboxDefaults): the sandbox
  // refuses awslogs on Fargate without one, as ECS does.
  assert.is(desiredTaskDefinition(live(), appConfig({ logs: {} }), sandboxEnv, IMG, meta).executionRoleArn, sandboxEnv.executionRoleArn);
  assert.is(desiredTaskDefinition(live(), appConfig({ logs: {} }), { ...sandboxEnv, executionRoleArn: undefined }, IMG, meta).executionRoleArn, undefined);
});

test('the spec fingerprint changes with the log configuration', () => {
  const fp = (logs: Parameters<typeof appConfig>[0]) => specFingerprint(appConfig(logs), awsEnv, IMG, meta.contentTag);
  assert.is.not(fp({ logs: {} }), fp({ logs: false }));
  assert.is.not(fp({ logs: {} }), fp({ logs: { retentionDays: 7, group: '/x' } }));
});

const noRole = { ...awsEnv, executionRoleArn: undefined };
const NEW = { exists: false };
const LIVE = { exists: true };
const LIVE_ROLE = { exists: true, executionRoleArn: 'arn:aws:iam::123456789012:role/terraform-made' };
const SECRET = { DB_PASSWORD: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' };
// ECS refuses awslogs (and FireLens, Splunk) and `secrets` on a Fargate task definition without an
// execution role (AWS: "Task execution IAM role", Amazon ECS developer guide). ferry writes logs and
// secrets only when deploy.json declares them, or on a first registration (logs default to awslogs).
const prerequisites: [string, Parameters<typeof appConfig>[0], typeof awsEnv, LiveRoleFacts | undefined, boolean][] = [
  ['new service, default logs (awslogs)', { logs: {}, declared: [] }, noRole, NEW, false],
  ['new service, FireLens declared', { logs: { logConfiguration: firelens }, declared: ['logs'] }, noRole, NEW, false],
  ['new service, logs off', { logs: false, declared: ['logs'] }, noRole, NEW, true],
  ['new service, logs off, secrets', { logs: false, secrets: SECRET, declared: ['logs', 'secrets'] }, noRole, NEW, false],
  ['existing service, logs not declared: the live log configuration is kept', { logs: {}, declared: [] }, noRole, LIVE, true],
  ['existing service, awslogs declared', { logs: {}, declared: ['logs'] }, noRole, LIVE, false],
  ['existing service, secrets declared', { logs: false, secrets: SECRET, declared: ['secrets'] }, noRole, LIVE, false],
  ['existing service, awslogs declared, the live revision has a role (kept)', { logs: {}, declared: ['logs'] }, noRole, LIVE_ROLE, true],
  ['not read yet, nothing declared', { logs: {}, declared: [] }, noRole, undefined, true],
  ['not read yet, awslogs declared', { logs: {}, declared: ['logs'] }, noRole, undefined, false],
  ['deploy.json has the role', { logs: {}, declared: [], executionRoleArn: 'arn:aws:iam::123456789012:role/app' }, noRole, NEW, true],
  ['ferry.json has the role', { logs: {}, declared: [] }, awsEnv, NEW, true],
  ['the sandbox needs no role', { logs: {}, declared: [] }, sandboxEnv, NEW, true],
];
for (const [name, over, env, live, ok] of prerequisites) {
  test(`execution role check: ${name}`, () => {
    try {
      checkLogsPrerequisites(appConfig(over), env, live);
      assert.ok(ok, 'expected a refusal');
    } catch (e) {
      assert.ok(!ok, `unexpected: ${(e as Error).message}`);
      assert.instance(e, FerryError);
      assert.match((e as Error).message, "environment 'staging' has no executionRoleArn");
      assert.match((e as Error).message, 'environments.staging.executionRoleArn');
      assert.match((e as Error).message, Object.keys((over as { secrets?: object }).secrets ?? {}).length && (over as { logs: unknown }).logs === false ? 'secrets need the task execution role' : 'log driver');
    }
  });
}

test('task log streams: <prefix>/<container>/<task id>, awslogs containers with a prefix only', () => {
  const containers = [
    { name: 'api', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/g', 'awslogs-stream-prefix': 'api' } } },
    { name: 'noprefix', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/g' } } },
    { name: 'fl', logConfiguration: firelens },
    { name: 'none' },
  ];
  assert.equal(taskLogStreams(containers, 'arn:aws:ecs:us-east-1:000000000000:task/ferry-local/0123abcd'), [{ container: 'api', group: '/g', stream: 'api/api/0123abcd' }]);
});

test.run();
