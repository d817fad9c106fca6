// build-image: the entry script of the `build-image` target (a run of one task). What it does: libs/ferry/targets/src/build-image.ts.
import { runScript } from '@ferry/targets';

await runScript('build-image');
