// Integration: `verify` (the preflight) as a real CLI run against a real sandbox. An `aws`-kind
// environment pointed at the sandbox's endpoint stands for a real account: a missing cluster, a
// target group on another port than the app's and an invalid Fargate cpu/memory pair are reported
// together, one line each with its fix, and nothing is built. A good setup passes, in that
// environment and in the sandbox environment.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateClusterCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { repoRoot, ScriptRunner } from './script-runner.ts';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-verify-'));
const ws = join(tmp, 'ws');
const CLUSTER = 'verify-it';
const APP = 'api';
let sb: Sandbox;

const runner = new ScriptRunner({
  ws,
  tmp,
  project: APP,
  // The `aws` environments' credentials: the sandbox accepts any and answers STS with its account.
  env: { AWS_ACCESS_KEY_ID: SANDBOX_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: SANDBOX_CREDENTIALS.secretAccessKey, AWS_PROFILE: '' },
});
const git = (...args: string[]) => runner.git(...args);
const verify = (envName: string) => runner.run('verify', [`--env=${envName}`]);

test.before(async () => {
  try {
    sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
    const ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    const elb = new ElasticLoadBalancingV2Client({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'verify-api', Subnets: ['subnet-1'] }))).LoadBalancers![0];
    assert.ok(lb.LoadBalancerArn);
    const tg = async (name: string, port: number) => (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: port, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/health' }))).TargetGroups![0].TargetGroupArn!;
    const goodTg = await tg('verify-good', 8080);
    const badTg = await tg('verify-bad', 9090);

    mkdirSync(join(ws, 'apps', APP), { recursive: true });
    mkdirSync(join(tmp, 'docker-config'), { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(ws, 'node_modules'));
    const aws = (cluster: string) => ({
      kind: 'aws',
      region: 'us-east-1',
      cluster,
      endpoint: sb.endpoint,
      accountId: '000000000000',
      executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
      network: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] },
    });
    const environments = {
      local: { kind: 'sandbox', region: 'us-east-1', cluster: CLUSTER, endpoint: sb.endpoint, registry: sb.registryHost },
      staging: aws('no-such-cluster'),
      prod: aws(CLUSTER),
    };
    writeFileSync(join(ws, 'package.json'), JSON.stringify({ name: 'verify-it', private: true, type: 'module' }));
    writeFileSync(join(ws, 'nx.json'), JSON.stringify({ plugins: [] }));
    writeFileSync(join(ws, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: {} }));
    writeFileSync(join(ws, 'ferry.json'), JSON.stringify({ defaultEnvironment: 'local', environments }, null, 2));
    writeFileSync(join(ws, '.gitignore'), 'node_modules\ndist/\n.nx/\n');
    writeFileSync(join(ws, 'apps', APP, 'project.json'), JSON.stringify({ name: APP, projectType: 'application', sourceRoot: `apps/${APP}` }));
    writeFileSync(join(ws, 'apps', APP, 'Dockerfile'), 'FROM scratch\n');
    const deployJson = {
      repository: 'verify-it/api',
      containerPort: 8080,
      healthCheckPath: '/health',
      cpu: '256',
      memory: '512',
      environments: {
        // Three problems at once: no cluster, a target group on 9090, and 256 CPU units with 4 GB.
        staging: { memory: '4096', loadBalancer: { targetGroupArn: badTg } },
        prod: { loadBalancer: { targetGroupArn: goodTg } },
      },
    };
    writeFileSync(join(ws, 'apps', APP, 'deploy.json'), JSON.stringify(deployJson, null, 2));
    git('init', '-q', '-b', 'main', '.');
    git('add', '-A');
    git('commit', '-qm', 'init');
  } catch (e) {
    console.error(e);
    throw e;
  }
});

test.after(async () => {
  await sb?.stop({ removeTasks: true }).catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

test('three problems reported at once, each with its fix; exit non-zero; nothing built', async () => {
  const r = await verify('staging');
  assert.is.not(r.code, 0, r.out);
  const problems = r.out.split('\n').filter((l) => l.includes('✗'));
  assert.is(problems.length, 3, r.out);
  assert.match(r.out, /3 problem\(s\) would make a deploy to staging fail/);
  assert.ok(problems.some((l) => /ECS cluster no-such-cluster does not exist — fix: create it/.test(l)), r.out);
  assert.ok(problems.some((l) => /target group verify-bad forwards to port 9090, the app listens on 8080 — fix:/.test(l)), r.out);
  assert.ok(problems.some((l) => /Fargate cannot run cpu 256 with memory 4096 — fix: set "memory" in deploy.json to 512, 1024, 2048/.test(l)), r.out);
  assert.not.ok(existsSync(join(ws, 'apps', APP, 'dist')), 'verify builds nothing');
});

test('a good setup passes: the aws-kind environment and the sandbox environment', async () => {
  const prod = await verify('prod');
  assert.is(prod.code, 0, prod.out);
  assert.match(prod.out, /cluster verify-it ACTIVE/);
  assert.match(prod.out, /account 000000000000 as in ferry.json/);
  assert.match(prod.out, /ECR repository verify-it\/api does not exist: push creates it/);
  const local = await verify('local');
  assert.is(local.code, 0, local.out);
  assert.match(local.out, /ready to deploy to local/);
});

test.run();
