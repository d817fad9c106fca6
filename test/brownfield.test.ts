// Integration: a service ferry did not create. It is made through the ECS API the way Terraform or
// the console would (two containers, an environment variable and a secret deploy.json does not
// list, a bigger task size, its desired count changed after creation, an Application Auto Scaling
// target), then deployed by ferry with a new image, as real CLI runs against a real sandbox.
// What must hold: `diff` shows only the image, and after the deploy both containers, the variable
// and the secret survive, the count and the deployment configuration are untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationAutoScalingClient, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import { ScriptRunner } from './script-runner.ts';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';

process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const tmp = mkdtempSync(join(tmpdir(), 'ferry-brownfield-'));
const ws = join(tmp, 'ws');
const CLUSTER = 'brown-it';
const APP = 'api';
let sb: Sandbox;
let ecs: ECSClient;

const server = (version: string) => `const http = require('http');
const server = http.createServer((req, res) => res.end(JSON.stringify({ version: ${JSON.stringify(version)} })));
server.listen(Number(process.env.PORT || 8080), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 500).unref(); });
`;

// What the team's deploy.json says: the image's repository and, for this environment, a count.
// Nothing about the task size, the environment, secrets, logs or the sidecar.
const deployJson = JSON.stringify({ repository: 'brown-it/api', desiredCount: 1, deployment: { timeoutSeconds: 120 } }, null, 2);

const runner = new ScriptRunner({ ws, tmp, project: APP });
const commit = (files: Record<string, string>, message: string) => runner.commit(files, message);
const run = (name: string, ...args: string[]) => runner.run(name, args);
const must = (name: string, ...args: string[]) => runner.must(name, ...args);
const buildAndPush = () => runner.buildAndPush();

async function describe(): Promise<Service> {
  const r = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [APP], include: ['TAGS'] }));
  assert.ok(r.services?.[0], `service missing: ${JSON.stringify(r.failures)}`);
  return r.services![0];
}

async function liveTaskDefinition() {
  const svc = await describe();
  return (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition! }))).taskDefinition!;
}

test.before(async () => {
  sb = await startSandbox({ dataDir: join(tmp, 'sandbox'), port: 0, registryPort: 0, log: () => undefined });
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  runner.scaffold('brown-it', sb, CLUSTER);
  commit({ [`apps/${APP}/deploy.json`]: deployJson, [`apps/${APP}/server.js`]: server('v1') }, 'v1');
});

test.after(async () => {
  await sb?.stop({ removeTasks: true }).catch(() => undefined);
  if (sb) {
    const images = spawnSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}'], { encoding: 'utf8' }).stdout.split('\n').filter((r) => r.startsWith(`${sb.registryHost}/`));
    if (images.length) spawnSync('docker', ['rmi', '-f', ...images]);
  }
  rmSync(tmp, { recursive: true, force: true });
});

const SECRET = { name: 'DB_URL', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/brown/db-url' };
const SIDECAR = { name: 'sidecar', image: '', essential: false, command: ['node', '-e', 'setInterval(() => {}, 1000)'] };

test('a service created outside ferry, then ferry deploys a new image: only the image changes', async () => {
  // The first image comes from ferry's own build; everything else is made through the API.
  const v1 = await buildAndPush();
  const image1 = `${sb.registryHost}/brown-it/api:${v1}`;
  SIDECAR.image = sb.baseImage;
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: APP,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '512',
      memory: '1024',
      // Secrets need a task execution role (ECS refuses them without one, and so does the sandbox).
      executionRoleArn: 'arn:aws:iam::000000000000:role/terraform-made-execution',
      containerDefinitions: [
        // PORT: the sandbox's port contract (docs/sandbox.md) gives each task its own host port in place of this value.
        { name: 'api', image: image1, essential: true, portMappings: [{ containerPort: 8080 }], environment: [{ name: 'EXTRA', value: 'kept' }, { name: 'PORT', value: '8080' }], secrets: [SECRET] },
        SIDECAR,
      ],
      tags: [{ key: 'owner', value: 'terraform' }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: APP,
      taskDefinition: APP,
      desiredCount: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0123456789abcdef0'], securityGroups: ['sg-0123456789abcdef0'] } },
      // Not ferry's defaults (200): a deploy must keep what deploy.json does not declare.
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 150, deploymentCircuitBreaker: { enable: true, rollback: true } },
    }),
  );
  // Scaled after creation, and a scalable target registered (what an autoscaling module does).
  await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: APP, desiredCount: 2 }));
  const aas = new ApplicationAutoScalingClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: 'ecs', ResourceId: `service/${CLUSTER}/${APP}`, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: 1, MaxCapacity: 4 }));

  commit({ [`apps/${APP}/server.js`]: server('v2') }, 'v2');
  const v2 = await buildAndPush();
  assert.is.not(v2, v1);

  // diff before: the task definition differs in the image only, and the count is autoscaling's.
  const diff = await run('diff', '--exit-code');
  assert.is(diff.code, 2, diff.out);
  const changed = diff.out.split('\n').filter((l) => /^\s*(?:\S+\s+)?[-+] /.test(l) && /"/.test(l));
  assert.ok(changed.length >= 2, diff.out);
  for (const line of changed) assert.match(line, /"image": /, `diff shows more than the image:\n${diff.out}`);
  assert.match(diff.out, /desiredCount is managed by Application Auto Scaling \(1\.\.4\): ferry leaves it at 2/);
  assert.not.match(diff.out, /deployment configuration differs/, 'ferry\'s deployment defaults are not compared with a service it did not create');
  // --dry-run prints the exact UpdateService input: no deployment configuration in it.
  const dry = await must('deploy-app', '--dry-run');
  assert.match(dry, /UpdateService \{/);
  assert.not.match(dry, /"deploymentConfiguration"/, dry);

  const out = await must('deploy-app');
  assert.match(out, /COMPLETED/);
  const td = await liveTaskDefinition();
  assert.equal(td.containerDefinitions!.map((c) => c.name), ['api', 'sidecar'], 'both containers');
  const api = td.containerDefinitions![0];
  assert.is(api.image, `${sb.registryHost}/brown-it/api:${v2}`);
  assert.equal(api.environment, [{ name: 'EXTRA', value: 'kept' }, { name: 'PORT', value: '8080' }], 'the variables deploy.json does not list survive');
  assert.equal(api.secrets, [SECRET], 'the secret survives');
  assert.is(api.logConfiguration, undefined, 'no log configuration forced on it');
  assert.equal({ ...td.containerDefinitions![1], image: SIDECAR.image }, { ...td.containerDefinitions![1] });
  assert.equal(td.containerDefinitions![1].command, SIDECAR.command);
  assert.equal([td.cpu, td.memory], ['512', '1024'], 'the task size is not reset to 256/512');
  const svc = await describe();
  assert.is(svc.desiredCount, 2, 'the count is untouched');
  assert.equal(
    [svc.deploymentConfiguration?.minimumHealthyPercent, svc.deploymentConfiguration?.maximumPercent],
    [100, 150],
    'the deployment configuration deploy.json does not declare is untouched (ferry\'s defaults are for CreateService)',
  );

  // Deployed once, the same image again is a no-op.
  const again = await must('deploy-app');
  assert.match(again, /up to date/);
});

test.run();
