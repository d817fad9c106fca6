import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { scriptArgs, type ScriptExecutorOptions } from './script-args.ts';

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

test.run();
