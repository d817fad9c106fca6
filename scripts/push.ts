// push: the entry script of the `push` target (a run of one task). What it does: libs/ferry/targets/src/push.ts.
import { runScript } from '@ferry/targets';

await runScript('push');
