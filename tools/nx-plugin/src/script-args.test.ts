import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptArgs, scriptCommand, type ScriptExecutorOptions } from './script-args.ts';

const cases: [string, ScriptExecutorOptions, string[]][] = [
  ['project only', { script: 'push' }, ['--project=api']],
  ['configuration env', { script: 'push', env: 'staging' }, ['--project=api', '--env=staging']],
  ['camelCase flags become kebab-case, true is a bare flag', { script: 'deploy-app', dryRun: true, json: true }, ['--project=api', '--dry-run', '--json']],
  ['undefined is left out', { script: 'diff', since: undefined, other: null }, ['--project=api']],
  ['Nx reads --no-rollback as rollback: false; it goes back out as typed', { script: 'deploy-app', rollback: false }, ['--project=api', '--no-rollback']],
  ['numbers and arrays', { script: 'rollback', toRevision: 12, tag: ['a', 'b'] }, ['--project=api', '--to-revision=12', '--tag=a', '--tag=b']],
  ['scriptsDir and project are not forwarded', { script: 'push', scriptsDir: 'x', project: 'other' }, ['--project=api']],
  ['objects are passed as JSON', { script: 'push', labels: { a: 1 } }, ['--project=api', '--labels={"a":1}']],
];

for (const [name, options, args] of cases) {
  test(name, () => {
    assert.equal(scriptArgs(options, 'api').args, args);
  });
}

test('the file comes from scriptsDir and the script name', () => {
  assert.is(scriptArgs({ script: 'smoke-test' }, 'web').file, 'scripts/smoke-test.ts');
  assert.is(scriptArgs({ script: 'smoke-test', scriptsDir: 'tools/deploy/' }, 'web').file, 'tools/deploy/smoke-test.ts');
});

test('scriptCommand: bundled scripts run with plain node, sources through tsx', () => {
  const table: Array<[ScriptExecutorOptions, { workspaceRoot: string; bundledDir?: string }, string[]]> = [
    [{ script: 'deploy', env: 'local' }, { workspaceRoot: '/ws' }, ['--import', 'tsx', '/ws/scripts/deploy.ts', '--project=api', '--env=local']],
    [{ script: 'deploy', env: 'local' }, { workspaceRoot: '/ws', bundledDir: '/ws/node_modules/@ferry/nx/dist/' }, ['/ws/node_modules/@ferry/nx/dist/deploy.mjs', '--project=api', '--env=local']],
    // A scriptsDir set in nx.json wins over the bundle: the workspace runs its own scripts.
    [{ script: 'push', scriptsDir: 'ops' }, { workspaceRoot: '/ws', bundledDir: '/pkg/dist' }, ['--import', 'tsx', '/ws/ops/push.ts', '--project=api']],
  ];
  for (const [options, where, argv] of table) {
    const cmd = scriptCommand(options, 'api', where);
    assert.equal(cmd.nodeArgs, argv, JSON.stringify(options));
    assert.is(cmd.file, argv.find((a) => a.startsWith('/')));
  }
});

test.run();
