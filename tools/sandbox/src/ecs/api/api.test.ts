// The ECS API handlers over an in-memory state store (no Docker: the controller port only records
// what it is asked to do). Task lifecycle and rollouts are covered by test/sandbox-ecs.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsError } from '../../context.ts';
import { createElbv2Service } from '../../elbv2/index.ts';
import { bufferedStore, stateFactory } from '../../state.ts';
import { freePort } from '../lb.ts';
import { createHandlers } from './index.ts';
import { initialEcsState } from '../model.ts';
import { arns } from '../views.ts';

// The sandbox's own ELBv2 part: target groups named in loadBalancers are looked up there, as ECS
// looks them up in ELBv2 (a listener on a loopback port makes the load balancer real).
const elbDir = mkdtempSync(join(tmpdir(), 'ferry-ecs-api-elb-'));
const elbv2 = createElbv2Service({ state: stateFactory(elbDir), region: 'us-east-1', accountId: '000000000000', log: () => {} });
let targetGroupArn = '';
let targetGroupUrl = '';
test.before(async () => {
  const lb = ((await elbv2.handlers.CreateLoadBalancer({ Name: 'web-lb', Subnets: ['subnet-1', 'subnet-2'], Type: 'application' })) as any).LoadBalancers[0];
  targetGroupArn = ((await elbv2.handlers.CreateTargetGroup({ Name: 'web-tg', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', TargetType: 'ip' })) as any).TargetGroups[0].TargetGroupArn;
  const port = await freePort();
  await elbv2.handlers.CreateListener({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] });
  targetGroupUrl = `http://${lb.DNSName}:${port}`;
});
test.after(async () => {
  await elbv2.stop({ removeTasks: false });
  rmSync(elbDir, { recursive: true, force: true });
});

function setup() {
  let state = initialEcsState();
  let writes = 0;
  // The buffered store over an in-memory "file" that counts its writes.
  const store = bufferedStore({ get: () => state, update: (m) => (m(state), writes++) });
  const stops: string[] = [];
  const h = createHandlers({
    store,
    arns: arns('us-east-1', '000000000000'),
    accountId: '000000000000',
    urlTagKey: 'ferry:sandbox-url',
    controller: { poke() {}, runTask: (t) => void (state.tasks[t.id] = t), stopTask: (id) => void stops.push(id) },
    elb: elbv2.port,
  });
  const call = async (op: string, input: unknown = {}) => (await h[op](input)) as any;
  return { call, stops, state: () => state, writes: () => writes, reset: () => (state = initialEcsState()) };
}

async function rejects(p: Promise<unknown>, type: string, message?: RegExp) {
  try {
    await p;
  } catch (e) {
    assert.instance(e, AwsError);
    assert.is((e as AwsError).type, type, (e as Error).message);
    if (message) assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected ${type}`);
}

const td = (family: string, extra: Record<string, unknown> = {}) => ({
  family,
  containerDefinitions: [{ name: 'app', image: 'img:1', portMappings: [{ containerPort: 80 }] }],
  ...extra,
});

test('task definition revisions always increment; server-filled fields; deregistered stays describable', async () => {
  const { call } = setup();
  const r1 = (await call('RegisterTaskDefinition', td('web', { tags: [{ key: 'a', value: '1' }] }))).taskDefinition;
  assert.is(r1.taskDefinitionArn, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:1');
  assert.is(r1.status, 'ACTIVE');
  assert.equal(r1.compatibilities, ['EC2']);
  assert.ok(r1.requiresAttributes.length > 0 && typeof r1.registeredAt === 'number' && r1.registeredBy);
  assert.is(r1.containerDefinitions[0].essential, true);
  assert.is(r1.containerDefinitions[0].portMappings[0].protocol, 'tcp');
  assert.is(r1.tags, undefined, 'tags are not part of the task definition');
  await call('DeregisterTaskDefinition', { taskDefinition: 'web:1' });
  const r2 = (await call('RegisterTaskDefinition', td('web'))).taskDefinition;
  assert.is(r2.revision, 2);
  assert.is((await call('DescribeTaskDefinition', { taskDefinition: 'web:1' })).taskDefinition.status, 'INACTIVE');
  assert.is((await call('DescribeTaskDefinition', { taskDefinition: 'web' })).taskDefinition.revision, 2, 'bare family = latest ACTIVE');
  const withTags = await call('DescribeTaskDefinition', { taskDefinition: r1.taskDefinitionArn, include: ['TAGS'] });
  assert.equal(withTags.tags, [{ key: 'a', value: '1' }]);
  assert.is((await call('DescribeTaskDefinition', { taskDefinition: 'web:1' })).tags, undefined);
});

test('RegisterTaskDefinition validation: ClientException', async () => {
  const { call } = setup();
  // Model: RegisterTaskDefinitionRequest requires `family`; Coral's wording names the member.
  await rejects(call('RegisterTaskDefinition', { containerDefinitions: [{ name: 'a', image: 'i' }] }), 'ClientException', /Value null at 'family' failed to satisfy constraint: Member must not be null/);
  await rejects(call('RegisterTaskDefinition', { family: 'x', containerDefinitions: [] }), 'ClientException', /Container list cannot be empty/);
  await rejects(call('RegisterTaskDefinition', { family: 'x y', containerDefinitions: [{ name: 'a', image: 'i' }] }), 'ClientException');
  await rejects(call('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a' }] }), 'ClientException', /image/);
  await rejects(call('RegisterTaskDefinition', { family: 'x', containerDefinitions: [{ name: 'a', image: 'i', essential: false }] }), 'ClientException', /essential/);
  const hc = (over: object) => ({ family: 'x', containerDefinitions: [{ name: 'a', image: 'i', healthCheck: { command: ['CMD-SHELL', 'true'], ...over } }] });
  for (const bad of [{ interval: 4 }, { interval: 301 }, { timeout: 1 }, { timeout: 61 }, { retries: 0 }, { retries: 11 }, { startPeriod: -1 }, { startPeriod: 301 }, { command: ['true'] }])
    await rejects(call('RegisterTaskDefinition', hc(bad)), 'ClientException', undefined);
  for (const good of [{ interval: 5 }, { interval: 300, timeout: 60, retries: 10, startPeriod: 300 }, { command: ['CMD', 'true'] }])
    assert.ok((await call('RegisterTaskDefinition', hc(good))).taskDefinition);
});

test('ListTaskDefinitions: familyPrefix, status, sort, pagination', async () => {
  const { call } = setup();
  for (let i = 0; i < 3; i++) await call('RegisterTaskDefinition', td('api'));
  await call('RegisterTaskDefinition', td('worker'));
  await call('DeregisterTaskDefinition', { taskDefinition: 'api:2' });
  const all = await call('ListTaskDefinitions', { familyPrefix: 'api' });
  assert.equal(all.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['api:1', 'api:3']);
  const inactive = await call('ListTaskDefinitions', { status: 'INACTIVE' });
  assert.equal(inactive.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['api:2']);
  const p1 = await call('ListTaskDefinitions', { sort: 'DESC', maxResults: 2 });
  assert.equal(p1.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['worker:1', 'api:3']);
  const p2 = await call('ListTaskDefinitions', { sort: 'DESC', maxResults: 2, nextToken: p1.nextToken });
  assert.equal(p2.taskDefinitionArns.map((a: string) => a.split('/')[1]), ['api:1']);
  assert.is(p2.nextToken, undefined);
  await rejects(call('ListTaskDefinitions', { maxResults: 0 }), 'InvalidParameterException');
  await rejects(call('ListTaskDefinitions', { nextToken: 'garbage!' }), 'InvalidParameterException');
});

// ECS model, ListTaskDefinitionsRequest: familyPrefix is "the full family name" (AWS lists nothing
// for a mere prefix: captured in getmoto/moto#2602); DESC lists the newest revision first, in
// numerical order ("ascending numerical order by revision" reversed); maxResults is 1–100 and a page
// comes with a nextToken while more remain.
test('ListTaskDefinitions: the full family name only, newest first by number, paged as asked', async () => {
  const { call } = setup();
  for (let i = 0; i < 12; i++) await call('RegisterTaskDefinition', td('api'));
  await call('RegisterTaskDefinition', td('api-worker'));
  const name = (a: string) => a.split('/')[1];
  assert.equal((await call('ListTaskDefinitions', { familyPrefix: 'ap' })).taskDefinitionArns, [], 'a prefix of a family lists nothing');
  const pages: string[][] = [];
  let nextToken: string | undefined;
  do {
    const p = await call('ListTaskDefinitions', { familyPrefix: 'api', sort: 'DESC', maxResults: 5, ...(nextToken && { nextToken }) });
    pages.push(p.taskDefinitionArns.map(name));
    nextToken = p.nextToken;
  } while (nextToken);
  assert.equal(pages, [['api:12', 'api:11', 'api:10', 'api:9', 'api:8'], ['api:7', 'api:6', 'api:5', 'api:4', 'api:3'], ['api:2', 'api:1']]);
  await rejects(call('ListTaskDefinitions', { familyPrefix: 'api', maxResults: 101 }), 'InvalidParameterException');
  assert.equal((await call('ListTaskDefinitions', { sort: 'DESC', maxResults: 2 })).taskDefinitionArns.map(name), ['api-worker:1', 'api:12'], 'families in reverse lexicographic order');
});

test('services: create, deployments on task definition change only, tags with the LB URL, errors', async () => {
  const { call, state } = setup();
  await rejects(call('CreateService', { serviceName: 's', taskDefinition: 'web', desiredCount: 1 }), 'ClusterNotFoundException');
  await call('CreateCluster', {});
  assert.ok(state().clusters.default);
  await call('RegisterTaskDefinition', td('web'));
  const created = (
    await call('CreateService', {
      serviceName: 'web',
      taskDefinition: 'web',
      desiredCount: 2,
      loadBalancers: [{ containerName: 'app', containerPort: 80, targetGroupArn }],
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      tags: [{ key: 'team', value: 'x' }],
    })
  ).service;
  assert.is(created.serviceArn, 'arn:aws:ecs:us-east-1:000000000000:service/default/web');
  assert.equal(created.deploymentConfiguration.minimumHealthyPercent, 100);
  assert.equal(created.deploymentConfiguration.maximumPercent, 200);
  assert.equal(created.tags, [{ key: 'team', value: 'x' }, { key: 'ferry:sandbox-url', value: targetGroupUrl }]);
  assert.is(created.deployments.length, 1);
  await rejects(call('CreateService', { serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }), 'InvalidParameterException', /idempotent/);
  await rejects(
    call('CreateService', { serviceName: 'lb', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ containerName: 'nope', containerPort: 80, targetGroupArn }] }),
    'InvalidParameterException',
  );
  // An entry names an ALB/NLB target group or a Classic load balancer (ECS API reference,
  // LoadBalancer); the sandbox has no Classic ones ("The load balancer <name> does not exist.", as
  // ECS answers for a missing one: field capture in aws/amazon-ecs-agent#647).
  await rejects(
    call('CreateService', { serviceName: 'lb', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ containerName: 'app', containerPort: 80 }] }),
    'InvalidParameterException',
    /targetGroupArn .* or a loadBalancerName/,
  );
  await rejects(
    call('CreateService', { serviceName: 'lb', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ containerName: 'app', containerPort: 80, loadBalancerName: 'classic' }] }),
    'InvalidParameterException',
    /The load balancer classic does not exist/,
  );
  await rejects(call('CreateService', { serviceName: 'z', taskDefinition: 'missing', desiredCount: 1 }), 'ClientException');
  await rejects(
    call('CreateService', { serviceName: 'z', taskDefinition: 'web', desiredCount: 1, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true } } }),
    'InvalidParameterException',
  );

  let svc = (await call('UpdateService', { service: 'web', desiredCount: 3 })).service;
  assert.is(svc.deployments.length, 1, 'desiredCount alone: no deployment');
  svc = (await call('UpdateService', { service: 'web', deploymentConfiguration: { minimumHealthyPercent: 50 } })).service;
  assert.is(svc.deployments.length, 1, 'deploymentConfiguration alone: no deployment');
  assert.is(svc.deploymentConfiguration.maximumPercent, 200);
  assert.is(svc.deploymentConfiguration.deploymentCircuitBreaker.enable, true);
  svc = (await call('UpdateService', { service: 'web', taskDefinition: 'web' })).service;
  assert.is(svc.deployments.length, 1, 'same task definition: no deployment');
  await call('RegisterTaskDefinition', td('web'));
  await call('RegisterTaskDefinition', td('web'));
  await call('DeregisterTaskDefinition', { taskDefinition: 'web:3' });
  svc = (await call('UpdateService', { service: 'web', taskDefinition: 'web' })).service;
  assert.is(svc.taskDefinition, 'arn:aws:ecs:us-east-1:000000000000:task-definition/web:2', 'bare family = latest ACTIVE revision');
  assert.equal(svc.deployments.map((d: any) => d.status), ['PRIMARY', 'ACTIVE']);
  assert.is(svc.deployments[0].rolloutState, 'IN_PROGRESS');
  assert.is(svc.deployments[0].rolloutStateReason, `ECS deployment ${svc.deployments[0].id} in progress.`);
  assert.ok(svc.deployments[0].id > svc.deployments[1].id);
  svc = (await call('UpdateService', { service: 'web', forceNewDeployment: true })).service;
  assert.is(svc.deployments.length, 3, 'forceNewDeployment');
  await rejects(call('UpdateService', { service: 'web', taskDefinition: 'web:3' }), 'ClientException', /inactive/);
  await rejects(call('UpdateService', { service: 'nope' }), 'ServiceNotFoundException');
  await rejects(call('UpdateService', { service: 'web', desiredCount: -1 }), 'InvalidParameterException');

  const d = await call('DescribeServices', { services: ['web', 'ghost'] });
  assert.is(d.services.length, 1);
  assert.is(d.services[0].tags, undefined, 'tags only with include TAGS');
  assert.equal(d.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:service/default/ghost', reason: 'MISSING' }]);
  await rejects(call('DescribeServices', { services: Array.from({ length: 11 }, (_, i) => `s${i}`) }), 'InvalidParameterException');

  await rejects(call('DeleteService', { service: 'web' }), 'InvalidParameterException', /scaled above 0/);
  const deleted = (await call('DeleteService', { service: 'web', force: true })).service;
  assert.is(deleted.status, 'DRAINING');
  assert.is(deleted.desiredCount, 0);
  await rejects(call('UpdateService', { service: 'web', desiredCount: 1 }), 'ServiceNotActiveException');
  assert.equal((await call('ListServices', {})).serviceArns, ['arn:aws:ecs:us-east-1:000000000000:service/default/web'], 'DRAINING is still listed');

  const briefs = (await call('ListServiceDeployments', { service: 'web' })).serviceDeployments;
  assert.is(briefs.length, 3);
  assert.equal(briefs.map((b: any) => b.status), ['PENDING', 'STOPPED', 'STOPPED'], 'newest first; superseded ones STOPPED');
  const detail = await call('DescribeServiceDeployments', { serviceDeploymentArns: [briefs[0].serviceDeploymentArn, 'arn:aws:ecs:us-east-1:000000000000:service-deployment/default/web/1'] });
  assert.is(detail.serviceDeployments[0].deploymentCircuitBreaker.threshold, 3);
  assert.is(detail.serviceDeployments[0].deploymentCircuitBreaker.status, 'MONITORING');
  assert.is(detail.failures[0].reason, 'MISSING');
});

test('tags on clusters, services and task definitions', async () => {
  const { call } = setup();
  const c = (await call('CreateCluster', { clusterName: 'c1', tags: [{ key: 'k', value: 'v' }] })).cluster;
  await call('TagResource', { resourceArn: c.clusterArn, tags: [{ key: 'k', value: 'w' }, { key: 'n', value: '1' }] });
  assert.equal((await call('ListTagsForResource', { resourceArn: c.clusterArn })).tags, [{ key: 'k', value: 'w' }, { key: 'n', value: '1' }]);
  await call('UntagResource', { resourceArn: c.clusterArn, tagKeys: ['k'] });
  assert.equal((await call('ListTagsForResource', { resourceArn: c.clusterArn })).tags, [{ key: 'n', value: '1' }]);
  const t = (await call('RegisterTaskDefinition', td('x'))).taskDefinition;
  await call('TagResource', { resourceArn: t.taskDefinitionArn, tags: [{ key: 'a', value: 'b' }] });
  assert.equal((await call('ListTagsForResource', { resourceArn: t.taskDefinitionArn })).tags, [{ key: 'a', value: 'b' }]);
  await rejects(call('ListTagsForResource', { resourceArn: 'arn:aws:ecs:us-east-1:000000000000:service/c1/none' }), 'ServiceNotFoundException');
  await rejects(call('ListTagsForResource', { resourceArn: 'nope' }), 'InvalidParameterException');
  await rejects(call('TagResource', { resourceArn: c.clusterArn, tags: [{ key: '' }] }), 'InvalidParameterException');
});

test('tasks: ListTasks filters and DescribeTasks failures', async () => {
  const { call } = setup();
  await call('CreateCluster', {});
  await rejects(call('ListTasks', { startedBy: 'x', serviceName: 'y' }), 'InvalidParameterException');
  await rejects(call('ListTasks', { serviceName: 'none' }), 'ServiceNotFoundException');
  await rejects(call('ListTasks', { desiredStatus: 'DONE' }), 'InvalidParameterException');
  assert.equal((await call('ListTasks', { desiredStatus: 'PENDING' })).taskArns, []);
  const d = await call('DescribeTasks', { tasks: ['0123456789abcdef0123456789abcdef'] });
  assert.equal(d.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef', reason: 'MISSING' }]);
  await rejects(call('DescribeTasks', { tasks: [] }), 'InvalidParameterException');
  await rejects(call('DescribeTasks', { tasks: Array.from({ length: 101 }, (_, i) => String(i)) }), 'InvalidParameterException');
  const clusters = await call('DescribeClusters', { clusters: ['nope', 'default'] });
  assert.equal(clusters.failures, [{ arn: 'arn:aws:ecs:us-east-1:000000000000:cluster/nope', reason: 'MISSING' }]);
  assert.is(clusters.clusters[0].clusterName, 'default');
});

test('a call that changes state is written once when it ends; reads and refused calls write nothing', async () => {
  const { call, writes } = setup();
  await call('CreateCluster', {});
  assert.is(writes(), 1);
  await call('RegisterTaskDefinition', td('web'));
  assert.is(writes(), 2);
  await call('CreateService', { serviceName: 'web', taskDefinition: 'web', desiredCount: 1, loadBalancers: [{ containerName: 'app', containerPort: 80, targetGroupArn }] });
  assert.is(writes(), 3, 'CreateService: one write');
  await call('DescribeServices', { services: ['web'] });
  await call('ListTasks', {});
  assert.is(writes(), 3, 'reads write nothing');
  await rejects(call('UpdateService', { service: 'web', desiredCount: -1 }), 'InvalidParameterException');
  assert.is(writes(), 3, 'a refused call writes nothing');
  await call('UpdateService', { service: 'web', forceNewDeployment: true, desiredCount: 2 });
  assert.is(writes(), 4);
});

// Fargate task sizes: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
const fargateSizes: [string, string, boolean][] = [
  ['256', '512', true], ['256', '2048', true], ['256', '4096', false], ['256', '3072', false],
  ['512', '1024', true], ['512', '4096', true], ['512', '5120', false],
  ['1024', '2048', true], ['1024', '8192', true], ['1024', '1024', false],
  ['2048', '16384', true], ['4096', '30720', true], ['4096', '31744', false],
  ['8192', '16384', true], ['8192', '20480', true], ['8192', '17408', false],
  ['16384', '122880', true], ['16384', '36864', false],
  ['0.25 vCPU', '0.5 GB', true], ['1 vCPU', '2 GB', true], ['300', '512', false],
];
for (const [cpu, memory, ok] of fargateSizes) {
  test(`Fargate task size cpu ${cpu} / memory ${memory}: ${ok ? 'accepted' : 'ClientException'}`, async () => {
    const { call } = setup();
    const p = call('RegisterTaskDefinition', td('f', { requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu, memory }));
    if (ok) assert.ok((await p).taskDefinition);
    else await rejects(p, 'ClientException', /^No Fargate configuration exists for given values/);
  });
}

test('Fargate: task-level cpu and memory required; awslogs needs executionRoleArn (ECS ClientException)', async () => {
  const { call } = setup();
  const fargate = { requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc' };
  await rejects(call('RegisterTaskDefinition', td('f', { ...fargate, memory: '512' })), 'ClientException', /Fargate requires that 'cpu' be defined at the task level/);
  await rejects(call('RegisterTaskDefinition', td('f', { ...fargate, cpu: '256' })), 'ClientException', /'memory'/);
  // "Fargate requires task definition to have execution role ARN to support log driver awslogs." (ECS's
  // error; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html)
  const logs = { ...fargate, cpu: '256', memory: '512', containerDefinitions: [{ name: 'app', image: 'i', logConfiguration: { logDriver: 'awslogs', options: {} } }] };
  await rejects(call('RegisterTaskDefinition', { family: 'f', ...logs }), 'ClientException', /execution role ARN to support log driver awslogs/);
  assert.ok((await call('RegisterTaskDefinition', { family: 'f', ...logs, executionRoleArn: 'arn:aws:iam::000000000000:role/exec' })).taskDefinition);
  // EC2 task definitions are not held to Fargate sizes.
  assert.ok((await call('RegisterTaskDefinition', td('e', { cpu: '300', memory: '100' }))).taskDefinition);
});

test('secrets need executionRoleArn (ClientException); an awsvpc service needs networkConfiguration (InvalidParameterException)', async () => {
  const { call } = setup();
  await call('CreateCluster', {});
  // "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
  // (ECS's ClientException as field reports quote it: https://github.com/fabfuel/ecs-deploy/issues/87)
  const secrets = { containerDefinitions: [{ name: 'app', image: 'i', secrets: [{ name: 'DB', valueFrom: 'arn:aws:ssm:us-east-1:000000000000:parameter/db' }] }] };
  await rejects(call('RegisterTaskDefinition', { family: 's', ...secrets }), 'ClientException', /you must also specify a value for 'executionRoleArn'/);
  assert.ok((await call('RegisterTaskDefinition', { family: 's', ...secrets, executionRoleArn: 'arn:aws:iam::000000000000:role/exec' })).taskDefinition);
  // "Network Configuration must be provided when networkMode 'awsvpc' is specified." (CreateService
  // API reference: networkConfiguration is required for the awsvpc network mode.)
  await call('RegisterTaskDefinition', td('v', { networkMode: 'awsvpc' }));
  await rejects(call('CreateService', { serviceName: 'v', taskDefinition: 'v', desiredCount: 0 }), 'InvalidParameterException', /^Network Configuration must be provided when networkMode 'awsvpc' is specified\.$/);
  const net = { awsvpcConfiguration: { subnets: ['subnet-0000000000000000f'], securityGroups: ['sg-0000000000000000f'] } };
  assert.ok((await call('CreateService', { serviceName: 'v', taskDefinition: 'v', desiredCount: 0, networkConfiguration: net })).service);
  await call('RegisterTaskDefinition', td('b', { networkMode: 'bridge' }));
  assert.ok((await call('CreateService', { serviceName: 'b', taskDefinition: 'b', desiredCount: 0 })).service, 'bridge needs none');
});

test('tags: at most 50, key ≤ 128, value ≤ 256 (model Tags/TagKey/TagValue); no aws: prefix (ecs-using-tags.html#tag-restrictions)', async () => {
  const { call } = setup();
  const many = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'v' }));
  await rejects(call('RegisterTaskDefinition', td('t', { tags: many(51) })), 'ClientException', /tags/);
  await rejects(call('RegisterTaskDefinition', td('t', { tags: [{ key: 'aws:owner', value: 'x' }] })), 'InvalidParameterException', /reserved prefix 'aws:'/);
  await rejects(call('RegisterTaskDefinition', td('t', { tags: [{ key: 'AWS:Owner', value: 'x' }] })), 'InvalidParameterException', /reserved/);
  await rejects(call('RegisterTaskDefinition', td('t', { tags: [{ key: 'k', value: 'v'.repeat(257) }] })), 'ClientException', /TagValue|length less than or equal to 256/);
  const arn = (await call('RegisterTaskDefinition', td('t', { tags: many(49) }))).taskDefinition.taskDefinitionArn;
  await call('TagResource', { resourceArn: arn, tags: [{ key: 'one-more', value: 'v' }] });
  await rejects(call('TagResource', { resourceArn: arn, tags: [{ key: 'too-many', value: 'v' }] }), 'InvalidParameterException', /at most 50/);
  await rejects(call('TagResource', { resourceArn: arn, tags: [{ key: 'aws:x', value: 'v' }] }), 'InvalidParameterException', /aws:/);
  await rejects(call('UntagResource', { resourceArn: arn, tagKeys: ['aws:x'] }), 'InvalidParameterException', /aws:/);
});

test('CreateService launchType / capacityProviderStrategy: one or the other, FARGATE needs an awsvpc definition (InvalidParameterException)', async () => {
  const { call, state } = setup();
  await call('CreateCluster', {});
  await call('RegisterTaskDefinition', td('bridge'));
  await call('RegisterTaskDefinition', td('vpc', { networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512' }));
  await rejects(call('CreateService', { serviceName: 'a', taskDefinition: 'bridge', launchType: 'FARGATE' }), 'InvalidParameterException', /does not support launch_type FARGATE/);
  assert.is((await call('CreateService', { serviceName: 'b', taskDefinition: 'bridge', launchType: 'EC2' })).service.launchType, 'EC2');
  // An awsvpc service needs its network configuration (checked on its own in the test above).
  const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-0000000000000000f'] } };
  const both = { serviceName: 'c', taskDefinition: 'vpc', networkConfiguration, launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] };
  await rejects(call('CreateService', both), 'InvalidParameterException', /both a launch type and capacity provider strategy/);
  await rejects(call('CreateService', { ...both, launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'my-asg', weight: 1 }] }), 'InvalidParameterException', /not associated with the cluster/);
  await rejects(
    call('CreateService', { ...both, launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', base: 1 }, { capacityProvider: 'FARGATE_SPOT', base: 1 }] }),
    'InvalidParameterException',
    /Base value/,
  );
  const spot = (await call('CreateService', { ...both, launchType: undefined })).service;
  assert.equal(spot.capacityProviderStrategy, [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }]);
  assert.is(spot.launchType, undefined, 'DescribeServices shows the strategy instead of a launch type');
  assert.is(state().services['default/c'].launchType, 'FARGATE', 'its tasks run on Fargate');
  // The model's enum and ranges come first (CapacityProviderStrategyItem weight 0-1000).
  await rejects(call('CreateService', { ...both, serviceName: 'd', launchType: undefined, capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1001 }] }), 'InvalidParameterException', /weight/);
});

test('UpdateService to a CODE_DEPLOY or EXTERNAL deployment controller: InvalidParameterException in ECS wording', async () => {
  const { call } = setup();
  await call('CreateCluster', {});
  await call('RegisterTaskDefinition', td('web'));
  await call('CreateService', { serviceName: 'web', taskDefinition: 'web', desiredCount: 1 });
  await rejects(
    call('UpdateService', { service: 'web', deploymentController: { type: 'CODE_DEPLOY' } }),
    'InvalidParameterException',
    /^Unable to update task definition on services with a CODE_DEPLOY deployment controller\. Use AWS CodeDeploy to trigger a new deployment\.$/,
  );
  await rejects(call('UpdateService', { service: 'web', deploymentController: { type: 'EXTERNAL' } }), 'InvalidParameterException', /EXTERNAL deployment controller/);
  // The model's enum comes first: an unknown controller type never reaches the handler.
  await rejects(call('UpdateService', { service: 'web', deploymentController: { type: 'BLUE_GREEN' } }), 'InvalidParameterException', /enum value set/);
});

test.run();
