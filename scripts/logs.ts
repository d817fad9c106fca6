// logs: the entry script of the `logs` target. What it does: libs/ferry/targets/src/logs.ts.
import { runScript } from '@ferry/targets';

await runScript('logs');
