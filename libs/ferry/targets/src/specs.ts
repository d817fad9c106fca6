/** Every target spec by its name (the `script` option of the executor). */
import type { TargetSpec } from '@ferry/ui';
import { buildImageTarget } from './build-image.ts';
import { deployAppTarget } from './deploy-app.ts';
import { deployTarget } from './deploy.ts';
import { diffTarget } from './diff.ts';
import { healthCheckTarget } from './health-check.ts';
import { historyTarget } from './history.ts';
import { logsTarget } from './logs.ts';
import { promoteTarget } from './promote.ts';
import { pushTarget } from './push.ts';
import { rollbackTarget } from './rollback.ts';
import { runTarget } from './run.ts';
import { smokeTestTarget } from './smoke-test.ts';
import { verifyTarget } from './verify.ts';

export { buildImageTarget, deployAppTarget, deployTarget, diffTarget, healthCheckTarget, historyTarget, logsTarget, promoteTarget, pushTarget, rollbackTarget, runTarget, smokeTestTarget, verifyTarget };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TARGET_SPECS: Readonly<Record<string, TargetSpec<any>>> = {
  'build-image': buildImageTarget,
  push: pushTarget,
  'deploy-app': deployAppTarget,
  'health-check': healthCheckTarget,
  'smoke-test': smokeTestTarget,
  diff: diffTarget,
  rollback: rollbackTarget,
  promote: promoteTarget,
  deploy: deployTarget,
  history: historyTarget,
  run: runTarget,
  logs: logsTarget,
  verify: verifyTarget,
};

