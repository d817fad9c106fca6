// diff: the entry script of the `diff` target. What it does: libs/ferry/targets/src/diff.ts.
import { diffTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(diffTarget);
