// The sandbox's ELBv2 subset through the real @aws-sdk/client-elastic-load-balancing-v2 client on the
// sandbox endpoint (Query protocol: form-encoded request, XML answer), with real loopback HTTP
// backends as targets. AWS behaviours relied on, with their sources:
// - request shapes, ranges and error codes: libs/ferry/core/models/elbv2.json (botocore service-2.json),
//   e.g. HealthCheckIntervalSeconds min 5, TargetGroupNotFound -> TargetGroupNotFoundException;
// - target states initial -> healthy after HealthyThresholdCount passes, unhealthy after
//   UnhealthyThresholdCount failures, draining for deregistration_delay.timeout_seconds (default 300):
//   https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
//   and https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html
// - an ALB routes to healthy targets: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { SandboxService } from '../context.ts';
import { Control } from '../control.ts';
import { freePort } from '../ecs/lb.ts';
import { startApiServer } from '../server.ts';
import { stateFactory } from '../state.ts';
import { afterProbe, matches, registered } from './health.ts';
import { createElbv2Service } from './index.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'ferry-elbv2-'));
const ecr: SandboxService = { handlers: {}, start: async () => {}, stop: async () => {} };
const elbv2 = createElbv2Service({ state: stateFactory(dataDir), region: 'us-east-1', accountId: '000000000000', log: () => {} });
const backends: http.Server[] = [];
let api: Awaited<ReturnType<typeof startApiServer>>;
let elb: ElasticLoadBalancingV2Client;

async function backend(name: string, healthStatus: () => number): Promise<number> {
  const s = http.createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(healthStatus()).end();
    res.end(name);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  backends.push(s);
  return (s.address() as AddressInfo).port;
}

async function sdkError(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  assert.unreachable('expected an error');
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.before(async () => {
  await elbv2.start();
  api = await startApiServer({ host: '127.0.0.1', port: 0, control: new Control(), services: { ecr, elbv2 }, log: () => {}, info: () => ({}), health: () => ({}) });
  elb = new ElasticLoadBalancingV2Client({ endpoint: `http://127.0.0.1:${api.port}`, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' }, maxAttempts: 1 });
});
test.after(async () => {
  await elbv2.stop({ removeTasks: false });
  await api.stop();
  for (const s of backends) s.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('health: thresholds move a target initial -> healthy -> unhealthy; matcher codes and ranges', () => {
  const t = { healthy: 2, unhealthy: 2 };
  let h = afterProbe(registered(), { ok: true }, t);
  assert.is(h.state, 'initial');
  assert.is(h.reason, 'Elb.InitialHealthChecking');
  h = afterProbe(h, { ok: true }, t);
  assert.is(h.state, 'healthy');
  h = afterProbe(h, { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'x' }, t);
  assert.is(h.state, 'healthy', 'one failure below the unhealthy threshold');
  h = afterProbe(h, { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'x' }, t);
  assert.is(h.state, 'unhealthy');
  assert.is(h.reason, 'Target.ResponseCodeMismatch');
  for (const [code, status, ok] of [['200', 200, true], ['200', 204, false], ['200-299', 204, true], ['200,302', 302, true], ['200,302', 301, false]] as const)
    assert.is(matches(code, status), ok, `${code} vs ${status}`);
});

test('requests are validated against the ELBv2 model: ValidationError, and modelled error codes reach the SDK', async () => {
  const tooFast = await sdkError(elb.send(new CreateTargetGroupCommand({ Name: 'fast', Protocol: 'HTTP', Port: 80, VpcId: 'vpc-1', HealthCheckIntervalSeconds: 1 })));
  assert.is(tooFast.name, 'ValidationError');
  assert.match(tooFast.message, /HealthCheckIntervalSeconds.*greater than or equal to 5/);
  const missing = await sdkError(elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/none/0000000000000000' })));
  assert.is(missing.name, 'TargetGroupNotFoundException');
  assert.is(missing.$metadata.httpStatusCode, 400);
});

test('load balancer, target group (health check, deregistration delay), listener; routes to healthy targets only; draining honours the delay', async () => {
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'web-lb', Subnets: ['subnet-1', 'subnet-2'], Type: 'application' }))).LoadBalancers![0];
  assert.match(lb.LoadBalancerArn!, /^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer\/app\/web-lb\/[0-9a-f]{16}$/);
  assert.is(lb.State?.Code, 'active');
  const tg = (
    await elb.send(
      new CreateTargetGroupCommand({ Name: 'web-tg', Protocol: 'HTTP', Port: 8080, VpcId: 'vpc-1', TargetType: 'ip', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 }),
    )
  ).TargetGroups![0];
  assert.is(tg.HealthCheckIntervalSeconds, 5);
  assert.is(tg.Matcher?.HttpCode, '200');
  const defaults = (await elb.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn }))).Attributes!;
  assert.is(defaults.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value, '300');
  const modified = await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '2' }] }));
  assert.is(modified.Attributes!.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value, '2');
  const badKey = await sdkError(elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'no.such.attribute', Value: '1' }] })));
  assert.is(badKey.name, 'ValidationError');
  const lbAttrs = await elb.send(new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: 'idle_timeout.timeout_seconds', Value: '30' }] }));
  assert.is(lbAttrs.Attributes!.find((a) => a.Key === 'idle_timeout.timeout_seconds')?.Value, '30');

  const port = await freePort();
  const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }))).Listeners![0];
  assert.is(listener.Port, port);
  assert.is((await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners!.length, 1);
  assert.equal((await elb.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!] }))).TargetGroups![0].LoadBalancerArns, [lb.LoadBalancerArn]);
  const dns = (await elb.send(new DescribeLoadBalancersCommand({ Names: ['web-lb'] }))).LoadBalancers![0].DNSName;
  const url = `http://${dns}:${port}/`;

  const good = await backend('good', () => 200);
  const bad = await backend('bad', () => 500);
  await elb.send(new RegisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: good }, { Id: '127.0.0.1', Port: bad }] }));
  const states = async () => {
    const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions!;
    return Object.fromEntries(d.map((x) => [x.Target!.Port === good ? 'good' : 'bad', x.TargetHealth!]));
  };
  const first = await states();
  assert.is(first.good.State, 'initial');
  const settled = await waitFor('good healthy, bad unhealthy', async () => {
    const s = await states();
    return s.good.State === 'healthy' && s.bad.State === 'unhealthy' && s;
  });
  assert.is(settled.bad.Reason, 'Target.ResponseCodeMismatch');
  assert.is(settled.bad.Description, 'Health checks failed with these codes: [500]');
  for (let i = 0; i < 4; i++) assert.is(await (await fetch(url)).text(), 'good', 'only the healthy target gets requests');

  await elb.send(new DeregisterTargetsCommand({ TargetGroupArn: tg.TargetGroupArn, Targets: [{ Id: '127.0.0.1', Port: good }] }));
  assert.is((await states()).good.State, 'draining');
  const r = await fetch(url);
  assert.is(r.status, 503, 'a draining target gets no new request');
  await r.text();
  await waitFor('the draining target leaves after the 2 s delay', async () => !(await states()).good);
});

test.run();
