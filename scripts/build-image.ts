// build-image: the entry script of the `build-image` target. What it does: libs/ferry/targets/src/build-image.ts.
import { buildImageTarget } from '@ferry/targets';
import { runTarget } from '@ferry/ui';

await runTarget(buildImageTarget);
