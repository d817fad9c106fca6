import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fargateSizeProblem, preflightChecks, type PreflightFacts, type PreflightProblem } from './preflight.ts';
import { appConfig, awsEnv, sandboxEnv } from './fixtures.test-support.ts';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/0123456789abcdef';
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/api/50dc6c495c0c9188';
const env = { ...awsEnv, accountId: '123456789012' };
const good: PreflightFacts = {
  caller: { account: '123456789012', arn: 'arn:aws:sts::123456789012:assumed-role/deploy/ci' },
  cluster: { status: 'ACTIVE' },
  repository: true,
  live: { exists: true, executionRoleArn: 'arn:aws:iam::123456789012:role/exec' },
  targetGroup: { targetGroupArn: TG, name: 'api', port: 3000, protocol: 'HTTP', targetType: 'ip', loadBalancerArns: [LB] },
};
const app = appConfig({ loadBalancer: { targetGroupArn: TG } });
const tgFacts = (over: object) => ({ ...(good.targetGroup as object), ...over }) as PreflightFacts['targetGroup'];
const checks = (facts: Partial<PreflightFacts>, a = app, e = env): PreflightProblem['check'][] => preflightChecks(a, e, { ...good, ...facts }).problems.map((p) => p.check);

test('preflight: each problem found from the facts, one line each with its fix', () => {
  const cases: [string, Partial<PreflightFacts>, PreflightProblem['check'][], Parameters<typeof checks>[1]?, Parameters<typeof checks>[2]?][] = [
    ['a good setup', {}, []],
    ['credentials of another account', { caller: { account: '999999999999', arn: 'arn:aws:iam::999999999999:user/x' } }, ['account']],
    ['no credentials (the read failed)', { caller: { error: 'No AWS credentials' } }, ['aws']],
    ['cluster missing', { cluster: null }, ['cluster']],
    ['cluster INACTIVE', { cluster: { status: 'INACTIVE' } }, ['cluster']],
    ['repository missing: push creates it, not a problem', { repository: false }, []],
    ['target group missing', { targetGroup: null }, ['target-group']],
    ['target group on another port', { targetGroup: tgFacts({ port: 8080 }) }, ['target-group']],
    ['target group of an NLB (TCP) for an HTTP health check', { targetGroup: tgFacts({ protocol: 'TCP' }) }, ['target-group']],
    ['target type instance for awsvpc', { targetGroup: tgFacts({ targetType: 'instance' }) }, ['target-group']],
    ['new service, awslogs by default, no execution role anywhere', { live: { exists: false } }, ['execution-role'], appConfig({ loadBalancer: { targetGroupArn: TG }, logs: {} }), { ...env, executionRoleArn: undefined }],
    ['existing service, logs not declared: keeps its own', { live: { exists: true } }, [], appConfig({ loadBalancer: { targetGroupArn: TG }, logs: {}, declared: ['containerPort'] }), { ...env, executionRoleArn: undefined }],
    ['invalid Fargate size', {}, ['fargate-size'], appConfig({ loadBalancer: { targetGroupArn: TG }, cpu: '256', memory: '4096' })],
    ['no network for awsvpc', {}, ['network'], app, { ...env, network: undefined }],
    ['autoscaling on requests without a load balancer', { targetGroup: undefined }, ['autoscaling'], appConfig({ autoscaling: { min: 1, max: 2, targetTracking: [{ metric: 'requests', target: 100 }] } })],
    ['autoscaling on requests, target group behind no ALB', { targetGroup: tgFacts({ loadBalancerArns: [] }) }, ['autoscaling'], appConfig({ loadBalancer: { targetGroupArn: TG }, autoscaling: { min: 1, max: 2, targetTracking: [{ metric: 'requests', target: 100 }] } })],
  ];
  for (const [name, facts, want, a, e] of cases) assert.equal(checks(facts, a, e), want, name);
});

test('preflight: every problem at once, each line names its fix', () => {
  const r = preflightChecks(appConfig({ loadBalancer: { targetGroupArn: TG }, cpu: '256', memory: '4096' }), env, { ...good, cluster: null, targetGroup: tgFacts({ port: 9090 }) });
  assert.equal(r.problems.map((p) => p.check), ['cluster', 'target-group', 'fargate-size']);
  for (const p of r.problems) assert.match(p.message, / — fix: /);
  assert.match(r.problems[1].message, /forwards to port 9090, the app listens on 3000/);
  assert.match(r.notes.join('\n'), /ECR repository ferry-sample\/api exists/);
});

test('preflight in the sandbox: its cluster is created on first deploy, no network or role needed', () => {
  const r = preflightChecks(appConfig(), sandboxEnv, { ...good, caller: { account: '000000000000', arn: 'arn:aws:iam::000000000000:root' }, cluster: null, targetGroup: undefined, live: { exists: false } });
  assert.equal(r.problems, []);
  assert.match(r.notes.join('\n'), /deploy-app creates it in the sandbox/);
});

// Fargate task sizes: Amazon ECS developer guide, "Task CPU and memory" (Fargate).
test('Fargate cpu/memory pairs', () => {
  const ok: [string, string][] = [['256', '512'], ['256', '2048'], ['0.25 vCPU', '1 GB'], ['512', '4096'], ['1024', '8192'], ['4096', '30720'], ['8192', '20480'], ['16384', '122880']];
  for (const [cpu, memory] of ok) assert.is(fargateSizeProblem({ cpu, memory }), undefined, `${cpu}/${memory}`);
  const bad: [string, string, RegExp][] = [
    ['256', '4096', /set "memory" in deploy.json to 512, 1024, 2048/],
    ['1024', '1024', /2048 to 8192 in steps of 1024/],
    ['8192', '17408', /16384 to 61440 in steps of 4096/],
    ['300', '1024', /cpu 300 is not a Fargate task size/],
  ];
  for (const [cpu, memory, re] of bad) assert.match(fargateSizeProblem({ cpu, memory }) ?? '', re, `${cpu}/${memory}`);
  assert.is(fargateSizeProblem({ cpu: '256', memory: '4096', launchType: 'EC2' }), undefined, 'EC2 sizes are free');
});

test.run();
