// rollback: the entry script of the `rollback` target (a run of one task). What it does: libs/ferry/targets/src/rollback.ts.
import { runScript } from '@ferry/targets';

await runScript('rollback');
