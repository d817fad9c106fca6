import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer } from 'node:net';
import { DescribeRepositoriesCommand } from '@aws-sdk/client-ecr';
import { ListClustersCommand } from '@aws-sdk/client-ecs';
import { RunSession, type EnvironmentConfig } from '@ferry/core';
import { AwsClientPool, createAwsClients, endpointFor, lazyPort, profileFor } from './clients.ts';

const sandbox: EnvironmentConfig = { name: 'local', kind: 'sandbox', region: 'us-east-1', cluster: 'ferry', endpoint: 'http://127.0.0.1:4566' };
const staging: EnvironmentConfig = { name: 'staging', kind: 'aws', region: 'eu-west-1', cluster: 'main', profile: 'stg' };

const endpointCases: Array<[string, NodeJS.ProcessEnv, 'ecs' | 'ecr', string | undefined]> = [
  ['config endpoint', {}, 'ecs', 'http://127.0.0.1:4566'],
  ['AWS_ENDPOINT_URL overrides config', { AWS_ENDPOINT_URL: 'http://127.0.0.1:1' }, 'ecr', 'http://127.0.0.1:1'],
  ['per-service variable wins', { AWS_ENDPOINT_URL: 'http://127.0.0.1:1', AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:2' }, 'ecr', 'http://127.0.0.1:2'],
  ['other service variable ignored', { AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:2' }, 'ecs', 'http://127.0.0.1:4566'],
  ['AWS_IGNORE_CONFIGURED_ENDPOINT_URLS', { AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_ENDPOINT_URL: 'http://x' }, 'ecs', 'http://127.0.0.1:4566'],
];
for (const [label, env, service, want] of endpointCases) {
  test(`endpointFor: ${label}`, () => assert.is(endpointFor(service, sandbox, env), want));
}
test('endpointFor: aws env without endpoint uses the SDK default', () => assert.is(endpointFor('ecs', staging, {}), undefined));

const profileCases: Array<[string, NodeJS.ProcessEnv, string | undefined]> = [
  ['ferry.json profile', {}, 'stg'],
  ['AWS_PROFILE beats ferry.json', { AWS_PROFILE: 'ci' }, 'ci'],
  ['access keys in the environment (CI): no profile, so the SDK uses them', { AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, undefined],
  ['OIDC web identity (CI)', { AWS_WEB_IDENTITY_TOKEN_FILE: '/tmp/token', AWS_ROLE_ARN: 'arn:aws:iam::1:role/ci' }, undefined],
  ['ECS task role', { AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }, undefined],
  ['AWS_PROFILE still wins over ambient keys', { AWS_PROFILE: 'x', AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' }, 'x'],
  ['only a key id is not credentials', { AWS_ACCESS_KEY_ID: 'AKIA' }, 'stg'],
];
for (const [label, env, want] of profileCases) {
  test(`profileFor: ${label}`, () => assert.is(profileFor(staging, env), want));
}

test('createAwsClients: adaptive retries and the environment region', async () => {
  const c = createAwsClients(sandbox, { processEnv: {} });
  assert.is(await c.ecs.config.region(), 'us-east-1');
  assert.is((await c.ecr.config.retryStrategy()).constructor.name, 'AdaptiveRetryStrategy');
  assert.is((await c.ecs.config.retryStrategy()).constructor.name, 'AdaptiveRetryStrategy');
  assert.ok((await c.ecr.config.maxAttempts()) >= 5);
  assert.equal(c.endpoints, { ecs: 'http://127.0.0.1:4566', ecr: 'http://127.0.0.1:4566', logs: 'http://127.0.0.1:4566', autoscaling: 'http://127.0.0.1:4566', sts: 'http://127.0.0.1:4566', elbv2: 'http://127.0.0.1:4566' });
});

test('endpointFor: ELBv2 reads the SDK\'s AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 first', () => {
  // The service identifier "Elastic Load Balancing v2" becomes ELASTIC_LOAD_BALANCING_V2:
  // https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
  assert.is(endpointFor('elbv2', sandbox, { AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2: 'http://127.0.0.1:1', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }), 'http://127.0.0.1:1');
  assert.is(endpointFor('elbv2', sandbox, { AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }), 'http://127.0.0.1:2');
});

test('endpointFor: CloudWatch Logs reads the SDK\'s AWS_ENDPOINT_URL_CLOUDWATCH_LOGS first', () => {
  // The service identifier "CloudWatch Logs" becomes CLOUDWATCH_LOGS:
  // https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html
  assert.is(endpointFor('logs', sandbox, { AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: 'http://127.0.0.1:1', AWS_ENDPOINT_URL: 'http://127.0.0.1:2' }), 'http://127.0.0.1:1');
  assert.is(endpointFor('logs', sandbox, { AWS_ENDPOINT_URL_ECS: 'http://127.0.0.1:3' }), 'http://127.0.0.1:4566');
});

test('a dead sandbox endpoint is a FerryError naming the endpoint and sandbox:up', async () => {
  // A port that was just free: nothing listens there.
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  const c = createAwsClients({ ...sandbox, endpoint: `http://127.0.0.1:${port}` }, { processEnv: {}, maxAttempts: 2 });
  for (const call of [() => c.ecr.send(new DescribeRepositoriesCommand({})), () => c.ecs.send(new ListClustersCommand({}))]) {
    try {
      await call();
      assert.unreachable('should fail');
    } catch (e: any) {
      assert.is(e.name, 'FerryError');
      assert.is(e.code, 'AWS_ERROR');
      assert.ok(e.message.includes(`http://127.0.0.1:${port}`), e.message);
      assert.match(e.message, /npm run sandbox:up/);
    }
  }
});

test('an aws environment without credentials fails before the first call with AWS_CREDENTIALS', async () => {
  // The SDK's credential chain reads process.env itself: point every source at nothing.
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
  Object.assign(process.env, {
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
    AWS_CONFIG_FILE: '/nonexistent/config',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  let requests = 0;
  const srv = createServer((s) => { requests++; s.destroy(); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  try {
    const endpoint = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
    const c = createAwsClients({ ...staging, profile: undefined, endpoint }, { processEnv: {} });
    await c.ecs.send(new ListClustersCommand({}));
    assert.unreachable('should fail');
  } catch (e: any) {
    assert.is(e.code, 'AWS_CREDENTIALS');
    assert.is(e.message, "No AWS credentials for environment 'staging'. Set AWS_PROFILE or run `aws sso login`, or use --env local for the sandbox.");
    assert.is(requests, 0, 'no request reached the endpoint');
  } finally {
    process.env = saved;
    await new Promise((r) => srv.close(r));
  }
});

test('lazyPort: loads once for concurrent first calls, passes arguments through, and tries a failed load again', async () => {
  let loads = 0;
  let fail = true;
  const port = lazyPort<{ twice(n: number): Promise<number>; name(): Promise<string> }>({ twice: true, name: true }, async () => {
    loads++;
    if (fail) throw new Error('module not found');
    return { twice: async (n) => n * 2, name: async () => 'p' };
  });
  assert.is(loads, 0, 'nothing is loaded before the first call');
  await port.twice(1).then(() => assert.unreachable('should fail'), (e: Error) => assert.is(e.message, 'module not found'));
  fail = false;
  assert.equal(await Promise.all([port.twice(2), port.twice(3), port.name()]), [4, 6, 'p']);
  assert.is(loads, 2, 'one failed load, then one load shared by three calls');
});

test('the pool\'s lazy ports reach their service through the environment\'s endpoint (a dead one is named)', async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  const env = { ...sandbox, endpoint: `http://127.0.0.1:${port}` };
  const pool = new AwsClientPool(new RunSession({ workspaceRoot: process.cwd(), env: { AWS_MAX_ATTEMPTS: '1' } }));
  // Each call loads its SDK client on first use, with the same error translation as ECS and ECR.
  for (const call of [() => pool.logs(env).lastEvents('g', 's', 1), () => pool.elbv2(env).describeTargetGroup('arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/1'), () => pool.scaling(env).serviceTarget('c', 's'), () => pool.identity(env).caller()]) {
    const e = await call().then(() => undefined, (err: any) => err);
    assert.ok(e, 'the call fails');
    assert.ok(String(e.message).includes(`http://127.0.0.1:${port}`), String(e.message));
  }
});

test.run();
