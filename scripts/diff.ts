// diff: the entry script of the `diff` target (a run of one task). What it does: libs/ferry/targets/src/diff.ts.
import { runScript } from '@ferry/targets';

await runScript('diff');
