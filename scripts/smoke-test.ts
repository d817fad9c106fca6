// smoke-test: the entry script of the `smoke-test` target. What it does: libs/ferry/targets/src/smoke-test.ts.
import { smokeTestTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(smokeTestTarget);
