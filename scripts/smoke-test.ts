// smoke-test: the entry script of the `smoke-test` target (a run of one task). What it does: libs/ferry/targets/src/smoke-test.ts.
import { runScript } from '@ferry/targets';

await runScript('smoke-test');
