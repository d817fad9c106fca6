// push: the entry script of the `push` target. What it does: libs/ferry/targets/src/push.ts.
import { pushTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(pushTarget);
