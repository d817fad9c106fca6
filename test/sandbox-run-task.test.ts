// Integration: standalone tasks in the sandbox (RunTask, StopTask) through the real AWS SDK, as real
// Docker containers, their output shipped to the CloudWatch Logs subset.
// ECS behaviour relied on: API_RunTask (group defaults to `family:<family>`, at most 10 tasks per
// call, startedBy as given), ECS-SEMANTICS §3 (stopCode EssentialContainerExited with "Essential
// container in task exited", UserInitiated for StopTask, STOPPED tasks listed with desiredStatus
// STOPPED), the vendored model libs/ferry/core/models/ecs.json (RunTaskRequest: taskDefinition
// required, LaunchType enum) and using_awslogs.html (stream `<prefix>/<container>/<task id>`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { docker } from '../tools/sandbox/src/docker.ts';

process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sandbox-run-'));
const CLUSTER = `run-it-${process.pid}`;
const FAMILY = `run-it-${process.pid}`;
const GROUP = `/ferry/${CLUSTER}/run`;
let sb: Sandbox;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await sleep(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function expectAwsError(p: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  try {
    await p;
  } catch (err: any) {
    assert.is(err.name, name, `${err.name}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return;
  }
  assert.unreachable(`expected ${name}`);
}

const describeTask = async (arn: string) => (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [arn] }))).tasks![0];
const stoppedTask = (arn: string) => waitFor<Task>('the task to stop', async () => ((t) => t.lastStatus === 'STOPPED' && t)(await describeTask(arn)));

test.before(async () => {
  sb = await startSandbox({ dataDir, port: 0, registryPort: 0, log: () => {} });
  const cfg = { endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS };
  ecs = new ECSClient(cfg);
  logs = new CloudWatchLogsClient(cfg);
  await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      containerDefinitions: [
        {
          name: 'app',
          // The sandbox's base image is local: no pull (runtime.ts pulls only sandbox-registry images or missing ones).
          image: sb.baseImage,
          essential: true,
          command: ['node', '-e', 'console.log("the service command")'],
          environment: [{ name: 'WHO', value: 'definition' }],
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-create-group': 'true', 'awslogs-stream-prefix': 'run', 'awslogs-region': 'us-east-1' } },
        },
      ],
    }),
  );
});

test.after(async () => {
  await sb?.stop({ removeTasks: true });
  const left = await docker(['ps', '-aq', '--filter', 'label=ferry.sandbox.ecs=task', '--filter', `label=ferry.ecs.cluster=${CLUSTER}`]);
  for (const id of left.stdout.split('\n').filter(Boolean)) await docker(['rm', '-f', id]);
  rmSync(dataDir, { recursive: true, force: true });
});

test('RunTask: a standalone task with a command override exits 4; EssentialContainerExited, exit code and logs kept', async () => {
  const script = 'console.log("hello from a task " + process.env.WHO); process.exit(4)';
  const out = await ecs.send(
    new RunTaskCommand({
      cluster: CLUSTER,
      taskDefinition: FAMILY,
      startedBy: 'ferry-run',
      overrides: { containerOverrides: [{ name: 'app', command: ['node', '-e', script], environment: [{ name: 'WHO', value: 'override' }] }] },
    }),
  );
  assert.equal(out.failures, []);
  assert.is(out.tasks!.length, 1);
  const started = out.tasks![0];
  assert.is(started.group, `family:${FAMILY}`);
  assert.is(started.startedBy, 'ferry-run');
  assert.is(started.desiredStatus, 'RUNNING');
  assert.match(started.taskDefinitionArn!, new RegExp(`:task-definition/${FAMILY}:1$`));
  assert.equal(started.overrides!.containerOverrides![0].command, ['node', '-e', script]);

  const t = await stoppedTask(started.taskArn!);
  assert.is(t.stopCode, 'EssentialContainerExited');
  assert.is(t.stoppedReason, 'Essential container in task exited');
  assert.is(t.containers![0].exitCode, 4);
  assert.is(t.desiredStatus, 'STOPPED');

  // Visible afterwards: ListTasks with desiredStatus STOPPED, by startedBy and by family.
  const byStarter = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED', startedBy: 'ferry-run' }));
  assert.ok(byStarter.taskArns!.includes(started.taskArn!));
  const byFamily = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, desiredStatus: 'STOPPED', family: FAMILY }));
  assert.ok(byFamily.taskArns!.includes(started.taskArn!));
  const running = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, family: FAMILY }));
  assert.not.ok(running.taskArns!.includes(started.taskArn!), 'a STOPPED task is not listed as RUNNING');

  const id = started.taskArn!.split('/').pop();
  const ev = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: `run/app/${id}`, startFromHead: true }));
  assert.equal(ev.events!.map((e) => e.message), ['hello from a task override']);
});

test('RunTask without overrides runs the definition\'s command; exit 0', async () => {
  const out = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: `${FAMILY}:1`, group: 'one-off' }));
  assert.is(out.tasks![0].group, 'one-off');
  const t = await stoppedTask(out.tasks![0].taskArn!);
  assert.is(t.containers![0].exitCode, 0);
  assert.is(t.stopCode, 'EssentialContainerExited');
});

test('StopTask on a running standalone task: UserInitiated with the reason, SIGTERM reaches the container', async () => {
  const script = 'process.on("SIGTERM", () => { console.log("got SIGTERM"); process.exit(143); }); console.log("waiting"); setInterval(() => {}, 1000);';
  const out = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: FAMILY, overrides: { containerOverrides: [{ name: 'app', command: ['node', '-e', script] }] } }));
  const arn = out.tasks![0].taskArn!;
  const id = arn.split('/').pop();
  // RUNNING and its first line shipped: the handler is installed.
  await waitFor('the task to print its first line', async () => {
    if ((await describeTask(arn)).lastStatus !== 'RUNNING') return false;
    const ev = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: `run/app/${id}` })).catch(() => undefined);
    return ev?.events?.some((e) => e.message === 'waiting');
  });
  await ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: arn, reason: 'Interrupted by the user (ferry run)' }));
  const t = await stoppedTask(arn);
  assert.is(t.stopCode, 'UserInitiated');
  assert.is(t.stoppedReason, 'Interrupted by the user (ferry run)');
  assert.is(t.containers![0].exitCode, 143);
  const ev = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: `run/app/${id}`, startFromHead: true }));
  assert.equal(ev.events!.map((e) => e.message), ['waiting', 'got SIGTERM']);
});

test('RunTask refusals: unknown task definition, unknown override container, count over 10, a launch type outside the model enum', async () => {
  await expectAwsError(ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: 'no-such-family' })), 'ClientException', /TaskDefinition not found/);
  await expectAwsError(
    ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: FAMILY, overrides: { containerOverrides: [{ name: 'nope', command: ['x'] }] } })),
    'InvalidParameterException',
    /nope/,
  );
  await expectAwsError(ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: FAMILY, count: 11 })), 'InvalidParameterException');
  // Model validation (RunTaskRequest.launchType: LaunchType enum) answers before the handler runs.
  await expectAwsError(ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: FAMILY, launchType: 'BOGUS' as never })), 'InvalidParameterException');
  await expectAwsError(
    ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: FAMILY, launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] })),
    'InvalidParameterException',
    /launch type and capacity provider/,
  );
  await expectAwsError(ecs.send(new RunTaskCommand({ cluster: 'no-such-cluster', taskDefinition: FAMILY })), 'ClusterNotFoundException');
  await expectAwsError(ecs.send(new StopTaskCommand({ cluster: CLUSTER, task: '0123456789abcdef0123456789abcdef' })), 'InvalidParameterException');
});

test.run();
