// health-check: the entry script of the `health-check` target. What it does: libs/ferry/targets/src/health-check.ts.
import { healthCheckTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(healthCheckTarget);
