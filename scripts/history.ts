// history: the entry script of the `history` target (a run of one task). What it does: libs/ferry/targets/src/history.ts.
import { runScript } from '@ferry/targets';

await runScript('history');
