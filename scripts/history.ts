// history: the entry script of the `history` target. What it does: libs/ferry/targets/src/history.ts.
import { historyTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(historyTarget);
