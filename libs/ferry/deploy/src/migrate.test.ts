// Table tests: when a deploy migrates, the migration record on a revision, the rollback guard,
// and the verdict and exit code of a one-off task (its ECS shapes: ECS-SEMANTICS §3, stopCode
// EssentialContainerExited / TaskFailedToStart / UserInitiated with containers[].exitCode).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EcsTask } from '@ferry/aws';
import { FerryError } from '@ferry/core';
import { historyEntries, historyRows } from './history.ts';
import { checkRollbackPastMigration, lastSuccessfulMigration, migrationStep, migrationTags, parseMigrationTags } from './migrate.ts';
import { launchOfService, oneOffExitCode, oneOffOutcome, runTaskInput } from './one-off.ts';
import type { RevisionInfo } from './revisions.ts';

const migrate = { command: ['node', 'migrate.js'], timeoutSeconds: 60, environment: { A: '1' } };
const net = { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'DISABLED' as const } };

test('migrationStep: new service and a new content tag migrate; the same tag (config change, --force) and no migrate do not', () => {
  const create = { launchType: 'FARGATE' as const };
  assert.equal(migrationStep(migrate, 'ft-2', undefined, create), { command: ['node', 'migrate.js'], timeoutSeconds: 60, environment: { A: '1' }, launch: create });
  const svc = { launchType: 'FARGATE' as const, networkConfiguration: net };
  const step = migrationStep(migrate, 'ft-2', { tag: 'ft-1', service: svc }, create);
  assert.is(step?.fromTag, 'ft-1');
  assert.equal(step?.launch, { launchType: 'FARGATE', networkConfiguration: net });
  assert.is(migrationStep(migrate, 'ft-2', { tag: 'ft-2', service: svc }, create), undefined);
  assert.is(migrationStep(undefined, 'ft-2', { tag: 'ft-1', service: svc }, create), undefined);
  // A service ferry never deployed (no content tag on its revision): the first deploy migrates.
  assert.ok(migrationStep(migrate, 'ft-2', { service: svc }, create));
});

test('launchOfService: capacity providers win over the launch type; LATEST platform version left out', () => {
  assert.equal(launchOfService({ launchType: 'FARGATE', capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }], platformVersion: 'LATEST' }), {
    capacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }],
  });
  assert.equal(launchOfService({ launchType: 'EC2', platformVersion: '1.4.0', networkConfiguration: net }), { launchType: 'EC2', platformVersion: '1.4.0', networkConfiguration: net });
  assert.equal(launchOfService(undefined), {});
});

test('runTaskInput: one task, the command and environment as a container override, tags propagated', () => {
  const input = runTaskInput({ app: 'api', cluster: 'c', taskDefinitionArn: 'arn:td/api:3', containerName: 'api', command: ['node', 'x.js'], environment: { A: '1' }, launch: { launchType: 'FARGATE' }, startedBy: 'ferry-run' });
  assert.equal(input, {
    cluster: 'c',
    taskDefinition: 'arn:td/api:3',
    count: 1,
    startedBy: 'ferry-run',
    launchType: 'FARGATE',
    overrides: { containerOverrides: [{ name: 'api', command: ['node', 'x.js'], environment: [{ name: 'A', value: '1' }] }] },
    propagateTags: 'TASK_DEFINITION',
  });
});

const stopped = (over: Partial<EcsTask>, exitCode?: number, reason?: string): EcsTask =>
  ({ lastStatus: 'STOPPED', startedAt: new Date(1), containers: [{ name: 'api', ...(exitCode !== undefined && { exitCode }), ...(reason && { reason }) }], ...over }) as EcsTask;

const verdicts: [string, EcsTask, 'timeout' | 'interrupted' | undefined, string, number][] = [
  ['exit 0', stopped({ stopCode: 'EssentialContainerExited' }, 0), undefined, 'exited', 0],
  ['exit 4', stopped({ stopCode: 'EssentialContainerExited' }, 4), undefined, 'exited', 4],
  ['image pull failed', stopped({ stopCode: 'TaskFailedToStart', startedAt: undefined }, undefined, 'CannotPullContainerError: x'), undefined, 'failed-to-start', 125],
  ['stopped by ferry at the timeout (SIGTERM: 143)', stopped({ stopCode: 'UserInitiated' }, 143), 'timeout', 'timeout', 124],
  ['interrupted', stopped({ stopCode: 'UserInitiated' }, 137), 'interrupted', 'interrupted', 130],
  ['stopped by someone else', stopped({ stopCode: 'UserInitiated' }, 143), undefined, 'stopped', 125],
];
for (const [name, task, by, outcome, code] of verdicts) {
  test(`one-off verdict: ${name}`, () => {
    const v = oneOffOutcome(task, 'api', by);
    assert.is(v.outcome, outcome);
    assert.is(oneOffExitCode(v), code);
  });
}

test('migration record: written as tags and read back; the command survives any characters', () => {
  const command = `node -e 'console.log("a|b"); process.exit(0)'`;
  // Tag values allowed by ECS: letters, digits, spaces and + - = . _ : / @ (ecs-using-tags.html#tag-restrictions).
  const tags = migrationTags({ exitCode: 0, durationMs: 3210.4, at: 1700000000000, by: 'ana@laptop', command });
  for (const t of tags) assert.ok(t.value!.length <= 256 && /^[\p{L}\p{N} _.:/=+@-]*$/u.test(t.value!), `tag value allowed by ECS: ${t.value}`);
  assert.equal(parseMigrationTags(tags), { exitCode: 0, durationMs: 3210, at: 1700000000000, by: 'ana@laptop', command });
  assert.equal(parseMigrationTags(migrationTags({ durationMs: 5, at: 2, by: 'x' })), { durationMs: 5, at: 2, by: 'x' });
  assert.is(parseMigrationTags([{ key: 'other', value: 'x' }]), undefined);
  const long = parseMigrationTags(migrationTags({ exitCode: 1, durationMs: 1, at: 1, by: 'x', command: 'x'.repeat(500) }));
  assert.ok(long!.command!.endsWith('…') && long!.command!.length < 200);
});

const rev = (revision: number, migration?: RevisionInfo['migration']): RevisionInfo => ({ arn: `arn:aws:ecs:r:1:task-definition/api:${revision}`, revision, contentTag: `ft-${revision}`, ...(migration && { migration }) });

test('rollback guard: older than the last successful migration needs --force; a failed migration does not count', () => {
  const revs = [rev(5, { exitCode: 1, durationMs: 1, at: 5000, by: 'x' }), rev(4, { exitCode: 0, durationMs: 1, at: 4000, by: 'ana', command: 'node m.js' }), rev(3), rev(2, { exitCode: 0, durationMs: 1, at: 2000, by: 'x' })];
  assert.is(lastSuccessfulMigration(revs)?.revision, 4);
  assert.is(checkRollbackPastMigration(revs[1], revs, false, 'api'), undefined, 'the migrated revision itself is fine');
  assert.is(checkRollbackPastMigration(revs[0], revs, false, 'api'), undefined, 'a newer revision is fine');
  try {
    checkRollbackPastMigration(revs[2], revs, false, 'api');
    assert.unreachable('expected a refusal');
  } catch (e) {
    assert.instance(e, FerryError);
    assert.match((e as Error).message, /api:3 is older than api:4, whose migration \(node m\.js\) succeeded .* --force/);
  }
  assert.match(checkRollbackPastMigration(revs[2], revs, true, 'api')!, /rolling back anyway \(--force\)/);
});

test('history shows each migration: exit code, duration, who and command; a failed one marks the revision', () => {
  const revs = [rev(2, { exitCode: 3, durationMs: 1500, at: 3000, by: 'bo@ci', command: 'node m.js' }), { ...rev(1, { exitCode: 0, durationMs: 200, at: 1000, by: 'ana', command: 'node m.js' }), result: 'completed' }];
  const entries = historyEntries(revs, revs[1].arn);
  assert.equal(entries.map((e) => e.result), ['migration-failed', 'completed']);
  const rows = historyRows(entries);
  assert.is(rows[1][6], 'exit 3 in 1.5 s by bo@ci: node m.js');
  assert.is(rows[2][6], 'exit 0 in 0.2 s by ana: node m.js');
});

test.run();
