// The API server's wire behaviour, checked through the real AWS SDK clients: the SDK must turn the
// sandbox's error answers into the right `error.name`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DescribeServicesCommand, ECSClient, ListClustersCommand } from '@aws-sdk/client-ecs';
import { DescribeRepositoriesCommand, ECRClient, ListImagesCommand } from '@aws-sdk/client-ecr';
import { AwsError, type SandboxService } from './context.ts';
import { Control } from './control.ts';
import { startApiServer } from './server.ts';

const control = new Control();
// A tiny service standing in for the ECS part; the server, not the handler, is under test here.
const ecs: SandboxService = {
  handlers: {
    DescribeServices: (input) => ({ services: [], failures: (input.services as string[]).map((s) => ({ arn: s, reason: 'MISSING' })) }),
    ListClusters: () => {
      throw new AwsError('ClusterNotFoundException', 'Cluster not found.');
    },
    ListServices: () => {
      throw new Error('handler bug');
    },
  },
  start: async () => {},
  stop: async () => {},
  info: () => ({ services: [{ cluster: 'c', service: 's', url: 'http://127.0.0.1:1' }] }),
};
const ecr: SandboxService = { handlers: { DescribeRepositories: () => ({ repositories: [] }) }, start: async () => {}, stop: async () => {} };
let api: Awaited<ReturnType<typeof startApiServer>>;
let endpoint = '';
const creds = { accessKeyId: 'x', secretAccessKey: 'y' };
const ecsClient = () => new ECSClient({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
const ecrClient = () => new ECRClient({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 1 });

test.before(async () => {
  api = await startApiServer({ host: '127.0.0.1', port: 0, control, services: { ecs, ecr }, log: () => {}, info: () => ({ ecs: ecs.info!() }), health: () => ({}) });
  endpoint = `http://127.0.0.1:${api.port}`;
});
test.after(() => api.stop());

async function sdkError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.unreachable('expected an error');
}

test('a signed SDK call is served (signatures are not verified)', async () => {
  const out = await ecsClient().send(new DescribeServicesCommand({ cluster: 'c', services: ['a'] }));
  assert.equal(out.failures, [{ arn: 'a', reason: 'MISSING' }]);
});

test('AwsError -> 400 and the SDK names the modelled exception', async () => {
  const err = await sdkError(ecsClient().send(new ListClustersCommand({})));
  assert.is(err.name, 'ClusterNotFoundException');
  assert.is(err.message, 'Cluster not found.');
  assert.is(err.$metadata.httpStatusCode, 400);
  assert.ok(err.$metadata.requestId);
});

test('unexpected exception -> 500 ServerException', async () => {
  const err = await sdkError(ecsClient().send(new (await import('@aws-sdk/client-ecs')).ListServicesCommand({})));
  assert.is(err.name, 'ServerException');
  assert.is(err.$metadata.httpStatusCode, 500);
});

test('unknown operation -> UnknownOperationException', async () => {
  const err = await sdkError(ecrClient().send(new ListImagesCommand({ repositoryName: 'x' })));
  assert.is(err.name, 'UnknownOperationException');
  const raw = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'Nope.Op', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
  assert.is(raw.status, 400);
  assert.is(raw.headers.get('x-amzn-errortype'), 'UnknownOperationException');
});

test('malformed JSON -> SerializationException', async () => {
  const raw = await fetch(endpoint, { method: 'POST', headers: { 'x-amz-target': 'AmazonEC2ContainerRegistry_V20150921.DescribeRepositories', 'content-type': 'application/x-amz-json-1.1' }, body: '{oops' });
  assert.is(raw.status, 400);
  assert.is(((await raw.json()) as any).__type, 'SerializationException');
});

test('throttle fault -> ThrottlingException the SDK retries', async () => {
  control.setFaults({ throttle: { operation: 'DescribeRepositories', count: 1 } });
  const err = await sdkError(ecrClient().send(new DescribeRepositoriesCommand({})));
  assert.is(err.name, 'ThrottlingException');
  control.setFaults({ throttle: { operation: 'DescribeRepositories', count: 1 } });
  const ok = await new ECRClient({ endpoint, region: 'us-east-1', credentials: creds, maxAttempts: 3 }).send(new DescribeRepositoriesCommand({}));
  assert.is(ok.$metadata.attempts, 2);
});

test('/_sandbox routes: stats, faults, info, health, 404', async () => {
  await fetch(`${endpoint}/_sandbox/stats/reset`, { method: 'POST' });
  await ecrClient().send(new DescribeRepositoriesCommand({}));
  assert.equal(await (await fetch(`${endpoint}/_sandbox/stats`)).json(), { ecs: {}, ecr: { DescribeRepositories: 1 }, logs: {}, autoscaling: {}, elbv2: {}, registry: {} });
  const bad = await fetch(`${endpoint}/_sandbox/faults`, { method: 'POST', body: '{"throttle":{"operation":"X"}}' });
  assert.is(bad.status, 400);
  const set = await fetch(`${endpoint}/_sandbox/faults`, { method: 'POST', body: '{"registryOutage":{"requests":3}}' });
  assert.is(((await set.json()) as any).registryOutage.remaining, 3);
  await fetch(`${endpoint}/_sandbox/faults`, { method: 'DELETE' });
  assert.equal(await (await fetch(`${endpoint}/_sandbox/faults`)).json(), { throttle: [] });
  assert.equal(((await (await fetch(`${endpoint}/_sandbox/info`)).json()) as any).ecs.services[0].url, 'http://127.0.0.1:1');
  assert.equal(await (await fetch(`${endpoint}/_sandbox/health`)).json(), { ok: true });
  assert.is((await fetch(`${endpoint}/_sandbox/nope`)).status, 404);
});

test.run();
