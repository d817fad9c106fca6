// run: the entry script of the `run` target (a one-off task). What it does: libs/ferry/targets/src/run.ts.
import { runScript } from '@ferry/targets';

await runScript('run');
