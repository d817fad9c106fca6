// rollback: the entry script of the `rollback` target. What it does: libs/ferry/targets/src/rollback.ts.
import { rollbackTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(rollbackTarget);
