// deploy: the entry script of the `deploy` target. What it does: libs/ferry/targets/src/deploy.ts.
import { deployTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(deployTarget);
