// deploy-app: the entry script of the `deploy-app` target (a run of one task). What it does: libs/ferry/targets/src/deploy-app.ts.
import { runScript } from '@ferry/targets';

await runScript('deploy-app');
