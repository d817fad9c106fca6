// deploy-app: the entry script of the `deploy-app` target. What it does: libs/ferry/targets/src/deploy-app.ts.
import { deployAppTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(deployAppTarget);
