// deploy: the entry script of the `deploy` target (a run of one task). What it does: libs/ferry/targets/src/deploy.ts.
import { runScript } from '@ferry/targets';

await runScript('deploy');
