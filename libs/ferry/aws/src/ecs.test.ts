import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ECSClient } from '@aws-sdk/client-ecs';
import { createEcsPort, parseTaskDefinitionRef } from './ecs.ts';

/** Records every command sent and answers from `reply(commandName, input, callIndex)`. */
function recorder(reply: (name: string, input: any, n: number) => unknown) {
  const sent: Array<{ name: string; input: any }> = [];
  const client = {
    async send(cmd: { constructor: { name: string }; input: unknown }) {
      const name = cmd.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: cmd.input });
      return reply(name, cmd.input, sent.filter((s) => s.name === name).length - 1);
    },
  } as unknown as ECSClient;
  return { port: createEcsPort(client), sent };
}

test('describeServices batches by 10, asks for TAGS, and gathers failures', async () => {
  const { port, sent } = recorder((_n, input) => ({
    services: input.services.filter((s: string) => s !== 's3').map((s: string) => ({ serviceName: s })),
    failures: input.services.includes('s3') ? [{ arn: 's3', reason: 'MISSING' }] : [],
  }));
  const names = Array.from({ length: 23 }, (_, i) => `s${i}`);
  const r = await port.describeServices('c', names);
  assert.equal(sent.map((s) => s.input.services.length), [10, 10, 3]);
  assert.ok(sent.every((s) => s.input.cluster === 'c' && s.input.include[0] === 'TAGS'));
  assert.is(r.services.length, 22);
  assert.equal(r.failures, [{ arn: 's3', reason: 'MISSING' }]);
});

test('listTaskDefinitions follows nextToken, ACTIVE, newest first', async () => {
  const { port, sent } = recorder((_n, _i, k) => (k === 0 ? { taskDefinitionArns: ['a:3', 'a:2'], nextToken: 't' } : { taskDefinitionArns: ['a:1'] }));
  assert.equal(await port.listTaskDefinitions('a'), ['a:3', 'a:2', 'a:1']);
  assert.equal(sent[0].input, { familyPrefix: 'a', status: 'ACTIVE', sort: 'DESC', nextToken: undefined });
  assert.is(sent[1].input.nextToken, 't');
});

test('listTaskDefinitionPage: one ListTaskDefinitions call, ACTIVE, sort DESC, maxResults and nextToken as given', async () => {
  const { port, sent } = recorder(() => ({ taskDefinitionArns: ['a:9', 'a:8'], nextToken: 'n2' }));
  assert.equal(await port.listTaskDefinitionPage('a', { maxResults: 2, nextToken: 'n1' }), { arns: ['a:9', 'a:8'], nextToken: 'n2' });
  assert.equal(sent.map((s) => s.input), [{ familyPrefix: 'a', status: 'ACTIVE', sort: 'DESC', maxResults: 2, nextToken: 'n1' }]);
  const last = recorder(() => ({ taskDefinitionArns: ['a:1'] }));
  assert.equal(await last.port.listTaskDefinitionPage('a', { maxResults: 100 }), { arns: ['a:1'] });
});

test('listTasks pages and passes the desired status; describeTasks batches by 100', async () => {
  const { port, sent } = recorder((name, input, k) =>
    name === 'ListTasks' ? (k === 0 ? { taskArns: ['t1'], nextToken: 'n' } : { taskArns: ['t2'] }) : { tasks: input.tasks.map((t: string) => ({ taskArn: t })) },
  );
  assert.equal(await port.listTasks('c', 'svc', 'STOPPED'), ['t1', 't2']);
  assert.equal(sent[0].input, { cluster: 'c', serviceName: 'svc', desiredStatus: 'STOPPED', nextToken: undefined });
  const tasks = await port.describeTasks('c', Array.from({ length: 150 }, (_, i) => `t${i}`));
  assert.is(tasks.length, 150);
  assert.equal(sent.filter((s) => s.name === 'DescribeTasks').map((s) => s.input.tasks.length), [100, 50]);
});

test('describeTaskDefinition returns the tags beside the definition', async () => {
  const { port, sent } = recorder(() => ({ taskDefinition: { family: 'a', revision: 1 }, tags: [{ key: 'k', value: 'v' }] }));
  assert.equal(await port.describeTaskDefinition('a:1'), { taskDefinition: { family: 'a', revision: 1 }, tags: [{ key: 'k', value: 'v' }] });
  assert.equal(sent[0].input, { taskDefinition: 'a:1', include: ['TAGS'] });
});

const refs: Array<[string, { family: string; revision?: number }]> = [
  ['arn:aws:ecs:us-east-1:000000000000:task-definition/api:7', { family: 'api', revision: 7 }],
  ['api:12', { family: 'api', revision: 12 }],
  ['api', { family: 'api' }],
  ['arn:aws:ecs:eu-west-1:1:task-definition/my-app_2:3', { family: 'my-app_2', revision: 3 }],
];
for (const [ref, want] of refs) test(`parseTaskDefinitionRef(${ref})`, () => assert.equal(parseTaskDefinitionRef(ref), want));

test.run();
