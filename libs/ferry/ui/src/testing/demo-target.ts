// A tiny target for run-target.test.ts: drives runTarget as a real process (exit codes, signals).
import { FerryError } from '@ferry/core';
import { runTarget } from '../run-target.ts';

await runTarget<{ mode?: string }>({
  target: 'demo',
  options: { mode: { type: 'string' } },
  describe: { mode: 'ok | ferry | bug | wait' },
  interruptGraceMs: 3000,
  main: async ({ args, reporter, signal }) => {
    reporter.emit({ kind: 'step', app: args.project!, step: 'build-image', status: 'start', message: 'building' });
    if (args.mode === 'ferry') throw new FerryError('BUILD_FAILED', 'the build failed', { exitCode: 3, details: ['step 4/7: RUN npm ci'] });
    if (args.mode === 'bug') throw new TypeError('cannot read properties of undefined');
    if (args.mode === 'wait') {
      process.stdout.write('waiting\n');
      await new Promise<void>((resolve) => {
        const keepAlive = setInterval(() => undefined, 1000);
        signal.addEventListener('abort', () => {
          clearInterval(keepAlive);
          // Cleanup that takes a moment: runTarget must wait for it.
          setTimeout(() => {
            reporter.emit({ kind: 'info', app: args.project, message: 'cleaned up' });
            resolve();
          }, 200);
        });
      });
      return 0;
    }
    reporter.emit({ kind: 'step', app: args.project!, step: 'build-image', status: 'done', message: 'built with password=hunter2hunter2' });
    reporter.emit({ kind: 'result', app: args.project!, target: 'demo', ok: true, summary: 'done' });
    return 0;
  },
});
