import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nestedNxArgs, nestedNxEnv } from './app-builds.ts';
import { appBuildDone } from './build-image.ts';

test('nestedNxArgs: one run-many of the apps, sorted, output printed per task when it ends', () => {
  assert.equal(nestedNxArgs(['worker', 'api']), ['run-many', '-t', 'build', '-p', 'api,worker', '--output-style=static']);
});

test("nestedNxEnv: the run's environment without the outer Nx task's variables", () => {
  const env = nestedNxEnv({ PATH: '/bin', NX_TASK_TARGET_PROJECT: 'api', NX_TASK_HASH: 'x', NX_STREAM_OUTPUT: 'true', NX_PREFIX_OUTPUT: 'true', NX_TERMINAL_OUTPUT_PATH: '/t', NX_TUI: 'true', NX_DAEMON: 'false', NX_CACHE_DIRECTORY: '/c' });
  assert.equal(env, { PATH: '/bin', NX_DAEMON: 'false', NX_CACHE_DIRECTORY: '/c', NX_TUI: 'false' });
});

for (const [waited, run, want] of [
  [420, { projects: ['api', 'worker'], ms: 1430 }, 'api:build ready after 0.4s (nx run-many -t build, 2 apps: 1.4s)'],
  [1000, { projects: ['api'], ms: 1000 }, 'api:build ready after 1.0s (nx run-many -t build, 1 app: 1.0s)'],
] as const) {
  test(`appBuildDone: ${want}`, () => assert.is(appBuildDone('api', waited, run), want));
}

test.run();
