import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stateFactory } from '../state.ts';
import { awslogsTargets, checkAwslogsGroups, LoggerInitError } from './awslogs.ts';
import { createLogsService } from './index.ts';

const dir = mkdtempSync(join(tmpdir(), 'ferry-logs-'));
const open = () => createLogsService({ state: stateFactory(dir), region: 'us-east-1', accountId: '000000000000' });
const errorName = async (f: () => unknown) => {
  try {
    await f();
    return 'no error';
  } catch (e) {
    return (e as Error).name;
  }
};
test.after(() => rmSync(dir, { recursive: true, force: true }));

// Shapes and error codes: AWS's service models, logs/service-2.json (CreateLogGroup errors,
// GetLogEventsRequest.startFromHead).
test('CreateLogGroup twice is ResourceAlreadyExistsException; retention shows in DescribeLogGroups', async () => {
  const logs = open();
  await logs.handlers.CreateLogGroup({ logGroupName: '/ferry/c/api' });
  assert.is(await errorName(() => logs.handlers.CreateLogGroup({ logGroupName: '/ferry/c/api' })), 'ResourceAlreadyExistsException');
  await logs.handlers.PutRetentionPolicy({ logGroupName: '/ferry/c/api', retentionInDays: 7 });
  assert.is(await errorName(() => logs.handlers.PutRetentionPolicy({ logGroupName: '/ferry/c/api', retentionInDays: 8 })), 'InvalidParameterException');
  const r = (await logs.handlers.DescribeLogGroups({ logGroupNamePrefix: '/ferry/c/' })) as { logGroups: { logGroupName: string; retentionInDays: number }[] };
  assert.equal(r.logGroups.map((g) => [g.logGroupName, g.retentionInDays]), [['/ferry/c/api', 7]]);
});

test('GetLogEvents: the newest events by default, the oldest with startFromHead; a missing stream is ResourceNotFoundException', async () => {
  const logs = open();
  for (let i = 1; i <= 5; i++) logs.sink.put('/ferry/c/api', 'api/api/t1', `line ${i}`, i);
  const get = async (extra: object) => ((await logs.handlers.GetLogEvents({ logGroupName: '/ferry/c/api', logStreamName: 'api/api/t1', limit: 2, ...extra })) as { events: { message: string }[] }).events.map((e) => e.message);
  assert.equal(await get({}), ['line 4', 'line 5']);
  assert.equal(await get({ startFromHead: true }), ['line 1', 'line 2']);
  assert.is(await errorName(() => logs.handlers.GetLogEvents({ logGroupName: '/ferry/c/api', logStreamName: 'nope' })), 'ResourceNotFoundException');
  await logs.stop({ removeTasks: false });
  // Persisted: a restarted sandbox (a new service over the same data directory) still has them.
  const again = createLogsService({ state: stateFactory(dir), region: 'us-east-1', accountId: '000000000000' });
  const r = (await again.handlers.FilterLogEvents({ logGroupName: '/ferry/c/api', filterPattern: 'line 3' })) as { events: { message: string; logStreamName: string }[] };
  assert.equal(r.events.map((e) => [e.logStreamName, e.message]), [['api/api/t1', 'line 3']]);
});

test('GetLogEvents with a forward token tails the stream: the same token while nothing new arrived', async () => {
  const logs = open();
  await logs.handlers.CreateLogGroup({ logGroupName: '/ferry/c/tail' });
  const read = async (nextToken?: string) =>
    (await logs.handlers.GetLogEvents({ logGroupName: '/ferry/c/tail', logStreamName: 'run/app/t', startFromHead: true, ...(nextToken && { nextToken }) })) as { events: { message: string }[]; nextForwardToken: string };
  logs.sink.put('/ferry/c/tail', 'run/app/t', 'one', 1);
  const a = await read();
  assert.equal(a.events.map((e) => e.message), ['one']);
  const b = await read(a.nextForwardToken);
  assert.equal(b.events, []);
  assert.is(b.nextForwardToken, a.nextForwardToken);
  logs.sink.put('/ferry/c/tail', 'run/app/t', 'two', 2);
  logs.sink.put('/ferry/c/tail', 'run/app/t', 'three', 3);
  const c = await read(b.nextForwardToken);
  assert.equal(c.events.map((e) => e.message), ['two', 'three']);
  assert.is(await errorName(() => read('garbage')), 'InvalidParameterException');
});

test('awslogs: stream names and the missing-group launch check', () => {
  const c = (options: Record<string, string>) => ({ name: 'api', logConfiguration: { logDriver: 'awslogs', options } });
  assert.equal(awslogsTargets([c({ 'awslogs-group': '/g', 'awslogs-stream-prefix': 'p' }), { name: 'x' }], 'abc'), [{ container: 'api', group: '/g', stream: 'p/api/abc' }]);
  const logs = open();
  assert.throws(() => checkAwslogsGroups([c({ 'awslogs-group': '/missing' })], logs.sink), (e: Error) => e instanceof LoggerInitError && /^ResourceInitializationError: .*log group does not exist/.test(e.message));
  checkAwslogsGroups([c({ 'awslogs-group': '/made', 'awslogs-create-group': 'true' })], logs.sink);
  assert.ok(logs.sink.groupExists('/made'));
});

test.run();
