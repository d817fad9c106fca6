// Integration: the sandbox console in a real browser (Debian's headless Chromium). A service created
// through the ECS API with tasks as real Docker containers shows on the page; after a second deploy
// (UpdateService to a new revision) the page left open redraws itself with the new deployment while
// it rolls out and when it completed, and a fresh load shows the new revision and its logs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from '@aws-sdk/client-ecs';
import { CreateRepositoryCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { startSandbox, SANDBOX_CREDENTIALS, type Sandbox } from '../tools/sandbox/src/index.ts';
import { docker } from '../tools/sandbox/src/docker.ts';
import { freePort } from '../tools/sandbox/src/ecs/lb.ts';
import { chromium as pw } from 'playwright-core';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client, ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';

const chromium = await new Promise<string | undefined>((resolve) => execFile('sh', ['-c', 'command -v chromium'], (err, out) => resolve(err ? undefined : out.trim())));

// Sandbox timings for a fast suite (documented in docs/sandbox.md).
process.env.FERRY_SANDBOX_NOHC_GRACE_MS = '1000';
process.env.FERRY_SANDBOX_TICK_MS = '200';
process.env.FERRY_SANDBOX_STOP_TIMEOUT_S = '5';

const unique = `${process.pid}`;
const CLUSTER = `console-it-${unique}`;
const REPO = `console-it-${unique}/app`;
const FAMILY = 'console-web';
const GROUP = `/ecs/console-it-${unique}`;
let TG = '';
const localImage = `ferry-console-it/app:${unique}`;
const dataDir = mkdtempSync(join(tmpdir(), 'ferry-sandbox-console-'));
const dockerConfig = mkdtempSync(join(tmpdir(), 'ferry-docker-config-'));
const buildDir = mkdtempSync(join(tmpdir(), 'ferry-console-build-'));
const browserProfile = mkdtempSync(join(tmpdir(), 'ferry-console-chromium-'));
const dockerEnv = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_BUILDKIT: '0' };
let sb: Sandbox;
let ecs: ECSClient;
let image = '';

// The app logs a line with markup in it: the page must show it as text.
const APP = `
const http = require('http');
console.log('<b>hello from v' + process.env.VERSION + '</b>');
const server = http.createServer((req, res) => res.end('v=' + process.env.VERSION));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => { server.close(() => process.exit(0)); setTimeout(() => process.exit(0), 1000).unref(); });
`;

async function mustDk(args: string[], input?: string) {
  const r = await docker(args, { env: dockerEnv, input });
  if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r;
}

/** The page's DOM after its script ran and polled the state (virtual time: timers run without waiting). */
function dumpDom(url: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      chromium!,
      ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${browserProfile}`, '--virtual-time-budget=5000', '--dump-dom', url],
      { timeout: 90_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`chromium failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
}

/** Waits until the open page's rendered part contains `text` (the page's own polling redraws it). */
const shows = (p: import('playwright-core').Page, text: string) =>
  // A function, not a string: the page's Content-Security-Policy forbids eval.
  p.waitForFunction((t) => ((globalThis as unknown as BrowserGlobals).document.getElementById('main')?.textContent ?? '').includes(t), text, { timeout: 30_000 });
type BrowserGlobals = { document: { getElementById(id: string): { textContent: string | null } | null } };

/** The rendered part of the page (the script's own source also names the sections). */
const rendered = (dom: string) => dom.slice(dom.indexOf('<header>'), dom.indexOf('<script>'));

async function register(version: string) {
  const out = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: FAMILY,
      executionRoleArn: 'arn:aws:iam::000000000000:role/exec',
      containerDefinitions: [
        {
          name: 'app',
          image,
          essential: true,
          portMappings: [{ containerPort: 8080 }],
          // The PORT contract (docs/sandbox.md): the sandbox replaces this value with the task's host port.
          environment: [{ name: 'VERSION', value: version }, { name: 'PORT', value: '8080' }],
          // awslogs stream `<prefix>/<container>/<task id>` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html)
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': GROUP, 'awslogs-create-group': 'true', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' } },
        },
      ],
    }),
  );
  return out.taskDefinition!;
}

async function completed(revision: number) {
  const r = await waitUntilServicesStable({ client: ecs, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { cluster: CLUSTER, services: ['web'] });
  assert.is(r.state, 'SUCCESS', `service stable: ${JSON.stringify(r.reason)?.slice(0, 300)}`);
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['web'] }))).services![0];
    const d = svc.deployments!;
    if (d.length === 1 && d[0].rolloutState === 'COMPLETED' && d[0].taskDefinition!.endsWith(`:${revision}`)) return d[0];
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out waiting for ${FAMILY}:${revision} to complete`);
}

if (!chromium) {
  console.log('sandbox-console: skipped, chromium is not installed (Debian: apt-get install chromium)');
} else {
  test.before(async () => {
    sb = await startSandbox({ dataDir, port: 0, registryPort: 0, log: () => {} });
    ecs = new ECSClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    writeFileSync(join(buildDir, 'Dockerfile'), `FROM ${sb.baseImage}\nCOPY app.js /app/app.js\nCMD ["node", "/app/app.js"]\n`);
    writeFileSync(join(buildDir, 'app.js'), APP);
    await mustDk(['build', '-q', '-t', localImage, buildDir]);
    const ecr = new ECRClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }));
    const auth = (await ecr.send(new GetAuthorizationTokenCommand({}))).authorizationData![0];
    const [user, password] = Buffer.from(auth.authorizationToken!, 'base64').toString().split(':');
    await mustDk(['login', '-u', user, '--password-stdin', sb.registryHost], password);
    image = `${sb.registryHost}/${REPO}:v1`;
    await mustDk(['tag', localImage, image]);
    await mustDk(['push', image]);
    await mustDk(['rmi', image]);
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    // The service's load balancer, made through the sandbox's ELBv2 API as on AWS.
    const elb = new ElasticLoadBalancingV2Client({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'console-web', Subnets: ['subnet-1'] }))).LoadBalancers![0];
    TG = (await elb.send(new CreateTargetGroupCommand({ Name: 'console-web', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2 }))).TargetGroups![0].TargetGroupArn!;
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: TG, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }));
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: await freePort(), DefaultActions: [{ Type: 'forward', TargetGroupArn: TG }] }));
  });

  test.after(async () => {
    await sb?.stop({ removeTasks: true });
    // Task containers pulled the pushed image into the engine.
    await docker(['rmi', '-f', localImage, ...(image ? [image] : [])]);
    for (const d of [dataDir, dockerConfig, buildDir, browserProfile]) rmSync(d, { recursive: true, force: true });
  });

  test('the console shows a service created through the ECS API, then its second deploy', async () => {
    const page = `${sb.endpoint}/_sandbox/console`;
    await register('1');
    await ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: 'web',
        taskDefinition: FAMILY,
        desiredCount: 1,
        loadBalancers: [{ containerName: 'app', containerPort: 8080, targetGroupArn: TG }],
      }),
    );
    const first = await completed(1);

    const one = rendered(await dumpDom(page));
    assert.match(one, /id="status">live/, 'the script fetched the state');
    assert.ok(one.includes(`<td class="mono">${CLUSTER}</td>`), 'the cluster');
    assert.ok(one.includes(`data-service="${CLUSTER}/web"`), 'the service');
    assert.ok(one.includes(`<td class="mono">${first.id}</td>`), 'its deployment');
    assert.ok(one.includes(`<td class="mono">${FAMILY}:1</td>`), 'its task definition');
    assert.match(one, /<span class="ok">COMPLETED<\/span>/);
    assert.match(one, /load balancer: <a href="http:\/\/127\.0\.0\.1:\d+"/);
    assert.ok(one.includes(`<td class="mono">${REPO}</td>`) && one.includes('<span class="mono">v1</span>'), 'the ECR repository and its tag');
    // The log line's markup is shown as text: escaped in the DOM, never parsed into a <b> element.
    assert.ok(one.includes('&lt;b&gt;hello from v1&lt;/b&gt;'), 'the task log line, as text');
    assert.not.ok(one.includes('<b>hello'), 'no markup from a log line');

    // The same page, left open in a browser (driven over CDP), redraws the second deploy by itself:
    // no reload, no navigation.
    const browser = await pw.launch({ executablePath: chromium!, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const live = await browser.newPage();
      let navigations = 0;
      live.on('framenavigated', (f) => void (f === live.mainFrame() && navigations++));
      await live.goto(page);
      await shows(live, first.id!);

      await register('2');
      await ecs.send(new UpdateServiceCommand({ cluster: CLUSTER, service: 'web', taskDefinition: `${FAMILY}:2` }));
      // While it rolls out, the open page shows both deployments (the new PRIMARY beside the old one).
      const rolling = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['web'] }))).services![0].deployments!.find((d) => d.status === 'PRIMARY')!;
      await shows(live, rolling.id!);
      const second = await completed(2);
      assert.is.not(second.id, first.id);
      assert.is(second.id, rolling.id);
      await shows(live, `${FAMILY}:2 · 1/1 running`);
      assert.is(navigations, 1, 'the page updated in place: loaded once, never reloaded');
    } finally {
      await browser.close();
    }

    const two = rendered(await dumpDom(page));
    const second = (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: ['web'] }))).services![0].deployments![0];
    assert.ok(two.includes(`<td class="mono">${second.id}</td>`), 'the new deployment');
    assert.ok(two.includes(`<td class="mono">${FAMILY}:2</td>`), 'the new revision');
    assert.ok(two.includes(`${FAMILY}:2 · 1/1 running`), 'the service runs the new revision');
    assert.ok(two.includes('&lt;b&gt;hello from v2&lt;/b&gt;'), "the new task's log line");
  });
}

test.run();
