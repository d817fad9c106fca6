// Table tests: `logs` — --since, the stream prefix of an app's tasks (awslogs names streams
// `<prefix>/<container>/<task id>`: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html)
// and the printed line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError, type AppDeployConfig, type EnvironmentConfig } from '@ferry/core';
import { appLogSource, formatLogLine, parseSince } from './app-logs.ts';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const since: [string, number][] = [
  ['30s', NOW - 30_000],
  ['15m', NOW - 15 * 60_000],
  ['2h', NOW - 2 * 3_600_000],
  ['1d', NOW - 86_400_000],
  ['2026-12-06T09:00:00Z', Date.parse('2026-12-06T09:00:00Z')],
];
for (const [value, want] of since) test(`--since ${value}`, () => assert.is(parseSince(value, NOW), want));
test('--since refuses what it cannot read', () => {
  for (const bad of ['yesterday', '15', '-5m', '']) assert.throws(() => parseSince(bad, NOW), (e: Error) => e instanceof FerryError && /--since takes/.test(e.message), bad);
});

const app = (logs: AppDeployConfig['logs']) => ({ project: 'api', service: 'api', containerName: 'api', logs }) as AppDeployConfig;
const env = { name: 'prod', kind: 'aws', cluster: 'prod', region: 'eu-west-1' } as EnvironmentConfig;

test('appLogSource: the default group and prefix, a task narrows to its stream, a custom awslogs config, off refused', () => {
  assert.equal(appLogSource({ app: app({}), env }), { group: '/ferry/prod/api', streamPrefix: 'api/api/' });
  assert.equal(appLogSource({ app: app({}), env }, 'arn:aws:ecs:eu-west-1:1:task/prod/0123abcd'), { group: '/ferry/prod/api', streamPrefix: 'api/api/0123abcd' });
  assert.equal(appLogSource({ app: app({ group: '/g', streamPrefix: 'p' }), env }), { group: '/g', streamPrefix: 'p/api/' });
  assert.equal(appLogSource({ app: app({ logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/x', 'awslogs-stream-prefix': 'y' } } }), env }), { group: '/x', streamPrefix: 'y/api/' });
  assert.throws(() => appLogSource({ app: app(false), env }), /logs is false/);
  assert.throws(() => appLogSource({ app: app({ logConfiguration: { logDriver: 'splunk' } }), env }), /not awslogs/);
});

test('a line is prefixed by its task (first 8 characters of the id) and cleaned', () => {
  assert.is(formatLogLine({ stream: 'api/api/0123456789abcdef', message: 'listening on 8080\n' }), '01234567 | listening on 8080');
  assert.is(formatLogLine({ stream: 'api/api/0123456789abcdef', message: '\u001b[31mred\u001b[0m' }), '01234567 | red');
});

test.run();
