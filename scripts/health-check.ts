// health-check: the entry script of the `health-check` target (a run of one task). What it does: libs/ferry/targets/src/health-check.ts.
import { runScript } from '@ferry/targets';

await runScript('health-check');
