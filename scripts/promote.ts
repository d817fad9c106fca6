// promote: the entry script of the `promote` target (a run of one task). What it does: libs/ferry/targets/src/promote.ts.
import { runScript } from '@ferry/targets';

await runScript('promote');
