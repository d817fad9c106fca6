// Integration: the sandbox's ECS API and controller through the real AWS SDK, with tasks as real
// Docker containers registered in a target group of the sandbox's ELBv2 (an Application Load Balancer
// with a loopback listener). ECS registers a service's tasks in the target group named in
// loadBalancers and counts a task only once its target is healthy; a task stopped by the scheduler is
// deregistered and stops after the deregistration delay (ECS developer guide, "Use load balancing to
// distribute Amazon ECS service traffic": https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTagsForResourceCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  DeregisterTaskDefinitionCommand,
  waitUntilServicesStable,
  type ContainerDefinition,
  type Service,
} from '@aws-sdk/client-ecs';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { freePort } from '../tools/sandbox/src/ecs/lb.ts';
import { docker } from '../tools/sandbox/src/docker.ts';
import { createEcsPort } from '../libs/ferry/aws/src/ecs.ts';

// Sandbox timings for a fast suite (documented in docs/sandbox.md).
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sandbox-ecs-'));
const dockerConfig = mkdtempSync(join(tmpdir(), 'ferry-docker-config-'));
const buildDir = mkdtempSync(join(tmpdir(), 'ferry-ecs-build-'));
const dockerEnv = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
const CLUSTER = 'ecs-it';
let TG = '';
let sb: Sandbox;
let ecs: ECSClient;
let elb: ElasticLoadBalancingV2Client;
let image = '';
const localImage = 'ferry-ecs-it/app:local';

// The app: listens on $PORT; MODE=exit dies after 300 ms with code 3, MODE=unhealthy fails /health.
const APP = `
const http = require('http');
const mode = process.env.MODE || 'ok';
if (mode === 'exit') setTimeout(() => { console.log('exiting with code 3'); process.exit(3); }, 300);
const server = http.createServer((req, res) => {
  if (req.url === '/health') { res.writeHead(mode === 'unhealthy' ? 500 : 200); res.end(mode); return; }
  setTimeout(() => res.end('v=' + process.env.VERSION), 5);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); });
`;

const HEALTH = {
  command: ['CMD-SHELL', `node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"`],
  interval: 5,
  // Generous: a loaded CI machine can take seconds to start node for the check.
  timeout: 10,
  retries: 3,
  startPeriod: 10,
};

async function mustDk(args: string[], input?: string) {
  const r = await docker(args, { env: dockerEnv, input });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

async function expectAwsError(p: Promise<unknown>, name: string): Promise<any> {
  try {
    await p;
  } catch (err: any) {
    assert.is(err.name, name, `${err.name}: ${err.message}`);
    return err;
  }
  assert.unreachable(`expected ${name}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function container(version: string, mode = 'ok', over: Partial<ContainerDefinition> = {}): ContainerDefinition {
  return {
    name: 'app',
    image,
    essential: true,
    portMappings: [{ containerPort: 8080 }],
    environment: [
      // The PORT contract (docs/sandbox.md): the sandbox replaces this value with the task's own host port.
      { name: 'PORT', value: '8080' },
      { name: 'VERSION', value: version },
      { name: 'MODE', value: mode },
    ],
    healthCheck: HEALTH,
    ...over,
  };
}

async function register(family: string, c: ContainerDefinition) {
  const out = await ecs.send(new RegisterTaskDefinitionCommand({ family, containerDefinitions: [c], tags: [{ key: 'team', value: 'ferry' }] }));
  return out.taskDefinition!;
}

async function describe(service: string): Promise<Service> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [service], include: ['TAGS'] }));
  return out.services![0];
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 90_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(300);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: r.status, body: await r.text() };
}

async function stable(service: string) {
  const r = await waitUntilServicesStable({ client: ecs, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { cluster: CLUSTER, services: [service] });
  assert.is(r.state, 'SUCCESS', `services stable: ${JSON.stringify(r.reason)?.slice(0, 300)}`);
  // Like on AWS, the waiter only compares counts; the rollout completes once the tasks are healthy.
  await waitFor(`${service} rollout COMPLETED`, async () => (await describe(service)).deployments![0].rolloutState === 'COMPLETED');
}

async function stoppedTasks(filter: { startedBy?: string; serviceName?: string }) {
  const list = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED', ...filter }));
  if (!list.taskArns?.length) return [];
  return (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: list.taskArns }))).tasks!.filter((t) => t.lastStatus === 'STOPPED');
}

test.before(async () => {
  // Keep every stopped task's container of these tests (default: the newest 5 per service).
  process.env.FERRY_SANDBOX_KEEP_STOPPED = '50';
  sb = await startSandbox({ dataDir, port: 0, registryPort: 0, log: () => {} });
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  // Build the app image FROM the sandbox base image and push it to the sandbox registry (ECR).
  writeFileSync(join(buildDir, 'Dockerfile'), `FROM ${sb.baseImage}\nCOPY app.js /app/app.js\nCMD ["node", "/app/app.js"]\n`);
  writeFileSync(join(buildDir, 'app.js'), APP);
  await mustDk(['build', '-q', '-t', localImage, buildDir]);
  const ecr = new ECRClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'ecs-it/app' }));
  const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0];
  const [user, password] = Buffer.from(auth.authorizationToken!, 'base64').toString().split(':');
  await mustDk(['login', '-u', user, '--password-stdin', sb.registryHost], password);
  image = `${sb.registryHost}/ecs-it/app:v1`;
  await mustDk(['tag', localImage, image]);
  await mustDk(['push', image]);
  await mustDk(['rmi', image]);
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  // The service's load balancer, as an AWS user sets it up: ALB, target group (fast health checks, a
  // short deregistration delay; a tolerant unhealthy threshold, since a loaded machine can miss a
  // probe's timeout now and then), listener forwarding to it.
  elb = new ElasticLoadBalancingV2Client({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: ['subnet-1'] }))).LoadBalancers![0];
  const tg = (
    await elb.send(
      new CreateTargetGroupCommand({ Name: 'web', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 10 }),
    )
  ).TargetGroups![0];
  TG = tg.TargetGroupArn!;
  await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: TG, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }));
  await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }));
});

let stopped = false;

test.after(async () => {
  if (!stopped) await sb?.stop({ removeTasks: true });
  const left = await docker(['ps', '-aq', '--filter', 'label=ferry.sandbox.ecs=task', '--filter', `label=ferry.ecs.cluster=${CLUSTER}`]);
  for (const id of left.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', id]);
  await docker(['rmi', '-f', localImage, image]);
  for (const d of [dataDir, dockerConfig, buildDir]) rmSync(d, { recursive: true, force: true });
});

let lbUrl = '';

test('(a) a good rollout of a 2-task service becomes stable and answers through the load balancer', async () => {
  const td = await register('web', container('1'));
  assert.is(td.revision, 1);
  assert.is(td.status, 'ACTIVE');
  assert.ok(td.registeredAt instanceof Date);
  const created = await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: 'web',
      taskDefinition: 'web',
      desiredCount: 2,
      // EC2: the definition is not awsvpc, so ECS would refuse FARGATE ("Task definition does not support launch_type FARGATE.").
      launchType: 'EC2',
      loadBalancers: [{ containerName: 'app', containerPort: 8080, targetGroupArn: TG }],
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      tags: [{ key: 'app', value: 'web' }],
    }),
  );
  assert.match(created.service!.serviceArn!, /^arn:aws:ecs:us-east-1:000000000000:service\/ecs-it\/web$/);
  assert.match(created.service!.deployments![0].id!, /^ecs-svc\/\d+$/);
  assert.is(created.service!.deployments![0].rolloutState, 'IN_PROGRESS');
  await stable('web');

  const svc = await describe('web');
  assert.is(svc.runningCount, 2);
  assert.is(svc.deployments!.length, 1);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  assert.is(svc.deployments![0].rolloutStateReason, `ECS deployment ${svc.deployments![0].id} completed.`);
  assert.equal(svc.networkConfiguration?.awsvpcConfiguration?.subnets, ['subnet-1']);
  assert.is(svc.events![0].message, '(service web) has reached a steady state.');
  assert.is(svc.events![1].message, `(service web) (deployment ${svc.deployments![0].id}) deployment completed.`);
  assert.ok(svc.events!.some((e) => /^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/.test(e.message!)));
  assert.ok(svc.events!.some((e) => e.message === `(service web) registered 1 targets in (target-group ${TG})`));

  lbUrl = svc.tags!.find((t) => t.key === 'ferry:sandbox-url')!.value!;
  assert.match(lbUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const targets = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }))).TargetHealthDescriptions!;
  assert.equal(targets.map((t) => t.TargetHealth!.State), ['healthy', 'healthy'], 'both tasks are healthy targets of the target group');
  const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: svc.serviceArn }));
  assert.ok(tags.tags!.some((t) => t.key === 'ferry:sandbox-url' && t.value === lbUrl));

  const list = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'web' }));
  assert.is(list.taskArns!.length, 2);
  const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: list.taskArns! }))).tasks!;
  for (const t of tasks) {
    assert.match(t.taskArn!, /^arn:aws:ecs:us-east-1:000000000000:task\/ecs-it\/[0-9a-f]{32}$/);
    assert.is(t.lastStatus, 'RUNNING');
    assert.is(t.healthStatus, 'HEALTHY');
    assert.is(t.startedBy, svc.deployments![0].id);
    assert.is(t.group, 'service:web');
    assert.ok(t.pullStartedAt && t.pullStoppedAt && t.startedAt);
  }
  const bodies = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const r = await get(lbUrl);
    assert.is(r.status, 200);
    bodies.add(r.body);
  }
  assert.equal([...bodies], ['v=1']);
});

test('(c) a rollout with minimumHealthyPercent 100 keeps desired healthy tasks and loses no request', async () => {
  await register('web', container('2'));
  let stop = false;
  let ok = 0;
  const failures: string[] = [];
  const seen = new Set<string>();
  const loop = (async () => {
    while (!stop) {
      try {
        const r = await get(lbUrl);
        if (r.status === 200) {
          ok++;
          seen.add(r.body);
        } else failures.push(`${r.status} ${r.body}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
      await sleep(20);
    }
  })();
  let minHealthy = Infinity;
  const sampler = (async () => {
    while (!stop) {
      const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'web' }))).taskArns!;
      const tasks = arns.length ? (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks! : [];
      minHealthy = Math.min(minHealthy, tasks.filter((t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY').length);
      await sleep(150);
    }
  })();
  const upd = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: 'web' }));
  const deploymentId = upd.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
  assert.is(upd.service!.deployments!.length, 2);
  assert.is(upd.service!.taskDefinition, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2');
  await stable('web');
  stop = true;
  await Promise.all([loop, sampler]);
  const svc = await describe('web');
  assert.is(svc.deployments![0].id, deploymentId);
  assert.is(svc.deployments![0].rolloutState, 'COMPLETED');
  const why = svc.events!.slice(0, 15).map((e) => e.message).join('\n');
  assert.equal(failures.slice(0, 3), [], `no failed request through the load balancer (${failures.length} failed); events:\n${why}`);
  assert.ok(ok > 20, `requests served: ${ok}`);
  assert.ok(seen.has('v=1') && seen.has('v=2'), `served both versions: ${[...seen]}`);
  assert.ok(minHealthy >= 2, `healthy tasks never below desired (min seen ${minHealthy})`);
  assert.is((await get(lbUrl)).body, 'v=2');
  const old = await stoppedTasks({ serviceName: 'web' });
  assert.ok(old.length >= 2);
  assert.ok(old.every((t) => t.stopCode === 'ServiceSchedulerInitiated' && /^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/.test(t.stoppedReason!)));
  // desiredCount alone does not start a deployment.
  const scaled = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', desiredCount: 2 }));
  assert.is(scaled.service!.deployments!.length, 1);
});

async function failingRollout(def: ContainerDefinition, reason: RegExp) {
  const before = await describe('web');
  const good = before.deployments![0];
  await register('web', def);
  const upd = await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: 'web' }));
  const failedId = upd.service!.deployments!.find((d) => d.status === 'PRIMARY')!.id!;
  // ECS-SEMANTICS §2 (corrected; field captures, fabfuel/ecs-deploy PAYLOAD_DEPLOYMENTS_FAILED_ROLLBACK):
  // the rollback is a NEW PRIMARY deployment of the previous revision whose reason names the last
  // COMPLETED deployment, while the failed one stays beside it, ACTIVE and FAILED.
  const rollbackReason = `ECS deployment circuit breaker: rolling back to deploymentId ${good.id}.`;
  const rolling = await waitFor('the rollback deployment', async () => {
    const s = await describe('web');
    const primary = s.deployments!.find((d) => d.status === 'PRIMARY')!;
    return primary.id !== failedId && s;
  });
  const rollback = rolling.deployments!.find((d) => d.status === 'PRIMARY')!;
  assert.is(rollback.rolloutStateReason, rollbackReason);
  assert.is.not(rollback.id, good.id, 'a new deployment id');
  assert.ok(rollback.createdAt!.getTime() > good.createdAt!.getTime());
  assert.is(rollback.taskDefinition, good.taskDefinition);
  const failedSeen = rolling.deployments!.find((d) => d.id === failedId)!;
  assert.is(failedSeen?.status, 'ACTIVE', 'the failed deployment stays in the array');
  assert.is(failedSeen.rolloutState, 'FAILED');
  assert.is(failedSeen.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  await waitFor('rollback to complete', async () => {
    const s = await describe('web');
    return s.deployments![0].id === rollback.id && s.deployments![0].rolloutState === 'COMPLETED' && s;
  });
  // It leaves the array once drained (after FERRY_SANDBOX_FAILED_VISIBLE_MS); then the waiter's rule holds.
  await waitFor('the failed deployment to leave the array', async () => (await describe('web')).deployments!.length === 1);
  await stable('web');
  const svc = await describe('web');
  assert.is(svc.taskDefinition, good.taskDefinition, 'back on the previous task definition');
  assert.is(svc.deployments![0].id, rollback.id);
  const messages = svc.events!.map((e) => e.message!);
  const iFailed = messages.indexOf(`(service web) (deployment ${failedId}) deployment failed: tasks failed to start.`);
  const iBack = messages.indexOf(`(service web) rolling back to deployment ${good.id}.`);
  const iDone = messages.indexOf(`(service web) (deployment ${rollback.id}) deployment completed.`);
  const iSteady = messages.indexOf('(service web) has reached a steady state.');
  assert.ok(iFailed > iBack && iBack > iDone && iDone > iSteady && iSteady >= 0, `event order (newest first): ${messages.slice(0, 12).join(' | ')}`);
  const stopped = await stoppedTasks({ startedBy: failedId });
  assert.ok(stopped.length >= 3, `at least threshold (3) failed tasks, got ${stopped.length}`);
  assert.ok(stopped.some((t) => reason.test(t.stoppedReason!)), stopped.map((t) => t.stoppedReason).join(', '));
  const briefs = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: 'web' }))).serviceDeployments!;
  const failedBrief = briefs.find((b) => b.serviceDeploymentArn!.endsWith(failedId.replace('ecs-svc/', '')))!;
  assert.is(failedBrief.status, 'ROLLBACK_SUCCESSFUL');
  // The rollback is part of the failed service deployment, not a service deployment of its own.
  assert.not.ok(briefs.some((b) => b.serviceDeploymentArn!.endsWith(rollback.id!.replace('ecs-svc/', ''))));
  const detail = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [failedBrief.serviceDeploymentArn!] }))).serviceDeployments![0];
  assert.is(detail.deploymentCircuitBreaker?.status, 'TRIGGERED');
  assert.is(detail.deploymentCircuitBreaker?.threshold, 3);
  assert.ok(detail.deploymentCircuitBreaker!.failureCount! >= 3, 'failureCount reached the threshold');
  assert.is(detail.rollback?.reason, 'Service deployment rolled back because the circuit breaker threshold was exceeded.');
  assert.ok(detail.rollback?.serviceRevisionArn?.endsWith(good.id!.replace('ecs-svc/', '')));
  assert.is((await get(lbUrl)).status, 200);
  return stopped;
}

test('(b1) a revision whose container exits fails the deployment; the breaker rolls back', async () => {
  const stopped = await failingRollout(container('3', 'exit'), /^Essential container in task exited$/);
  const exited = stopped.find((t) => t.stopCode === 'EssentialContainerExited')!;
  assert.ok(exited, 'a task stopped with EssentialContainerExited');
  assert.is(exited.containers![0].exitCode, 3);
  assert.ok(exited.stoppedAt && exited.stoppingAt && exited.executionStoppedAt);
  // A stopped task's container is kept, so its output stays readable (docker logs <runtimeId>).
  const logs = await docker(['logs', exited.containers![0].runtimeId!]);
  assert.is(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /exiting with code 3/);
});

test('(b2) a revision failing its health check fails the deployment; the breaker rolls back', async () => {
  await failingRollout(container('4', 'unhealthy', { healthCheck: { ...HEALTH, startPeriod: 0, retries: 1 } }), /^Task failed container health checks$/);
  const svc = await describe('web');
  assert.ok(svc.events!.some((e) => /^\(service web\) \(task [0-9a-f]{32}\) failed container health checks\.$/.test(e.message!)));
});

test('an image that cannot be pulled: CannotPullContainerError; without rollback the FAILED deployment stays', async () => {
  await register('broken', container('x', 'ok', { image: `${sb.registryHost}/ecs-it/app:does-not-exist`, healthCheck: undefined }));
  await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: 'broken',
      taskDefinition: 'broken',
      desiredCount: 1,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
    }),
  );
  const svc = await waitFor('breaker to trip', async () => {
    const s = await describe('broken');
    return s.deployments![0].rolloutState === 'FAILED' && s;
  });
  assert.is(svc.deployments![0].rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
  assert.is(svc.deployments![0].failedTasks, 3);
  const stopped = await stoppedTasks({ serviceName: 'broken' });
  assert.ok(stopped.length >= 3);
  for (const t of stopped) {
    assert.is(t.stopCode, 'TaskFailedToStart');
    assert.match(t.stoppedReason!, /^CannotPullContainerError: /);
  }
  await sleep(1500);
  const after = await describe('broken');
  assert.is(after.deployments![0].rolloutState, 'FAILED');
  assert.is((await stoppedTasks({ serviceName: 'broken' })).length, stopped.length, 'a FAILED deployment launches no new tasks');
  await ecs.send(new DeleteServiceCommand({ cluster: CLUSTER, service: 'broken', force: true }));
});

test('a container that cannot start: CannotStartContainerError, counted by the breaker', async () => {
  await register('nostart', container('x', 'ok', { image: localImage, command: ['/no/such/binary'], healthCheck: undefined }));
  await ecs.send(
    new CreateServiceCommand({
      cluster: CLUSTER,
      serviceName: 'nostart',
      taskDefinition: 'nostart',
      desiredCount: 1,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    }),
  );
  await waitFor('breaker to trip', async () => (await describe('nostart')).deployments![0].rolloutState === 'FAILED');
  const stopped = await stoppedTasks({ serviceName: 'nostart' });
  assert.ok(stopped.length >= 3);
  assert.ok(stopped.every((t) => t.stopCode === 'TaskFailedToStart' && /^CannotStartContainerError: /.test(t.stoppedReason!)), stopped.map((t) => t.stoppedReason).join(' | '));
  const briefs = (await ecs.send(new ListServiceDeploymentsCommand({ cluster: CLUSTER, service: 'nostart' }))).serviceDeployments!;
  assert.is(briefs[0].status, 'ROLLBACK_FAILED', 'nothing COMPLETED to roll back to');
  await ecs.send(new DeleteServiceCommand({ cluster: CLUSTER, service: 'nostart', force: true }));
});

test('(d) restarting the sandbox keeps clusters, services, task definitions and re-adopts running tasks', async () => {
  const before = await describe('web');
  const tasksBefore = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'web' }))).taskArns!.sort();
  await sb.stop({ removeTasks: false });
  sb = await startSandbox({ dataDir, port: 0, registryPort: Number(sb.registryHost.split(':')[1]), log: () => {} });
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  elb = new ElasticLoadBalancingV2Client({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  const after = await describe('web');
  assert.is(after.taskDefinition, before.taskDefinition);
  assert.is(after.deployments![0].id, before.deployments![0].id);
  assert.is(after.tags!.find((t) => t.key === 'ferry:sandbox-url')!.value, lbUrl, 'the load balancer URL is stable');
  const tasksAfter = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'web' }))).taskArns!.sort();
  assert.equal(tasksAfter, tasksBefore, 'the running tasks were re-adopted');
  assert.is((await get(lbUrl)).body, 'v=2');
  const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:2', include: ['TAGS'] }));
  assert.equal(td.tags, [{ key: 'team', value: 'ferry' }]);
  const arns = (await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'web', sort: 'DESC', maxResults: 2 })));
  assert.is(arns.taskDefinitionArns![0], 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:4');
  assert.ok(arns.nextToken);
  await stable('web');
});

test('(d2) restarting with the tasks removed (`down`): their targets leave the target group, new tasks take over behind the same URL', async () => {
  // ECS deregisters a stopped task from its target group, and a deregistered (draining) target gets
  // no new requests (ECS-SEMANTICS §3: DEACTIVATING covers deregistration, before STOPPED; ELBv2 docs,
  // "Deregistration delay"). A removed task's target
  // resumed as healthy would send requests to a container that is gone (502).
  const targetsOf = async () => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }))).TargetHealthDescriptions!;
  const before = (await targetsOf()).map((t) => t.Target!.Port);
  assert.is(before.length, 2);
  await sb.stop({ removeTasks: true });
  sb = await startSandbox({ dataDir, port: 0, registryPort: Number(sb.registryHost.split(':')[1]), log: () => {} });
  ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  elb = new ElasticLoadBalancingV2Client({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
  const resumed = (await targetsOf()).filter((t) => before.includes(t.Target!.Port) && t.TargetHealth!.State !== 'draining');
  assert.equal(resumed.map((t) => `${t.Target!.Port} ${t.TargetHealth!.State}`), [], 'the removed tasks are not targets any more');
  await stable('web');
  // The deployment was COMPLETED before the restart; its replacement tasks serve once healthy.
  await waitFor('two healthy targets', async () => (await targetsOf()).filter((t) => t.TargetHealth!.State === 'healthy').length === 2);
  for (let i = 0; i < 4; i++) assert.equal(await get(lbUrl), { status: 200, body: 'v=2' });
});

test('(e) bad requests get AWS error names', async () => {
  await expectAwsError(ecs.send(new DescribeServicesCommand({ cluster: 'nope', services: ['web'] })), 'ClusterNotFoundException');
  await expectAwsError(ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'nope', desiredCount: 1 })), 'ServiceNotFoundException');
  await expectAwsError(ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'x', taskDefinition: 'web', desiredCount: -1 })), 'InvalidParameterException');
  await expectAwsError(
    ecs.send(new CreateServiceCommand({ cluster: CLUSTER, serviceName: 'x', taskDefinition: 'web', desiredCount: 1, deploymentConfiguration: { minimumHealthyPercent: 150 } })),
    'InvalidParameterException',
  );
  await expectAwsError(ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [] })), 'ClientException');
  await expectAwsError(
    ecs.send(new RegisterTaskDefinitionCommand({ family: 'bad', containerDefinitions: [container('1', 'ok', { healthCheck: { ...HEALTH, interval: 1 } })] })),
    'ClientException',
  );
  await expectAwsError(ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:99' })), 'ClientException');
  const missing = await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['ghost'] }));
  assert.equal(missing.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/ecs-it/ghost', reason: 'MISSING' }]);
  const missingTask = await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: ['0123456789abcdef0123456789abcdef'] }));
  assert.is(missingTask.failures![0].reason, 'MISSING');
  // Deregistered revisions stay describable but can't be deployed.
  const dereg = await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'web:1' }));
  assert.is(dereg.taskDefinition!.status, 'INACTIVE');
  assert.is((await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:1' }))).taskDefinition!.status, 'INACTIVE');
  // A deleted service is DRAINING then INACTIVE and refuses updates.
  const gone = await waitFor('broken service to become INACTIVE', async () => {
    const s = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['broken'] }))).services![0];
    return s.status === 'INACTIVE' && s;
  });
  assert.is(gone.status, 'INACTIVE');
  await expectAwsError(ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'broken', desiredCount: 1 })), 'ServiceNotActiveException');
  await expectAwsError(ecs.send(new DeleteServiceCommand({ cluster: CLUSTER, service: 'web' })), 'InvalidParameterException');
});

test('DescribeServices: at most 10 services a call; ferry\'s ECS port asks for more in calls of 10', async () => {
  // AWS's ECS model (DescribeServicesRequest.services): "You may specify up to 10 services to
  // describe in a single operation." The rollout watchers of a cluster share their calls
  // (service-polls.ts), so a run watching more than 10 rollouts relies on the port splitting them.
  const names = Array.from({ length: 12 }, (_, i) => `ghost-${i}`);
  await expectAwsError(ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: names.slice(0, 11) })), 'InvalidParameterException');
  sb.resetStats();
  const answer = await createEcsPort(ecs).describeServices(CLUSTER, names);
  assert.is((sb.stats().ecs as Record<string, number>).DescribeServices, 2, 'two calls: 10 + 2');
  assert.equal(answer.failures.map((f) => f.arn?.split('/').pop()), names, 'every name answered, MISSING, in order');
});

test('StopTask: the task stops with UserInitiated and the service replaces it', async () => {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: 'web' }))).taskArns!;
  const out = await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: arns[0], reason: 'testing' }));
  assert.is(out.task!.desiredStatus, 'STOPPED');
  const t = await waitFor('task to stop', async () => {
    const d = (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [arns[0]] }))).tasks![0];
    return d.lastStatus === 'STOPPED' && d;
  });
  assert.is(t.stopCode, 'UserInitiated');
  assert.is(t.stoppedReason, 'testing');
  await waitFor('replacement', async () => {
    const s = await describe('web');
    return s.runningCount === 2 && s.deployments!.length === 1;
  });
});

test('neither bound allows a step: the "unable to stop or start tasks" event; loosening the bounds resumes', async () => {
  const unable =
    '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.';
  const upd = await ecs.send(
    new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', forceNewDeployment: true, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 } }),
  );
  assert.is(upd.service!.deployments!.length, 2, 'forceNewDeployment starts a deployment');
  // The stall is declared once every task counts as healthy, which behind a target group waits for
  // its health checks (healthy threshold 2 × interval 5 s) after the previous step's newest task.
  await waitFor('the unable event', async () => (await describe('web')).events!.some((e) => e.message === unable), 60_000);
  await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }));
  await stable('web');
  const svc = await describe('web');
  assert.is(svc.deploymentConfiguration!.deploymentCircuitBreaker!.rollback, true, 'a partial deploymentConfiguration keeps the breaker');
  assert.is(svc.events!.filter((e) => e.message === unable).length, 1, 'the stall is reported once');
});

test('stop with removeTasks removes every task container', async () => {
  await sb.stop({ removeTasks: true });
  stopped = true;
  const left = await docker(['ps', '-aq', '--filter', 'label=ferry.sandbox.ecs=task', '--filter', `label=ferry.ecs.cluster=${CLUSTER}`]);
  assert.is(left.stdout.trim(), '');
});

test.run();
