// verify: the entry script of the `verify` target (a run of one task). What it does: libs/ferry/targets/src/verify.ts.
import { runScript } from '@ferry/targets';

await runScript('verify');
