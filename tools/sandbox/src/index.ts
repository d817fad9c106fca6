/**
 * The sandbox's programmatic API, for tests and benchmarks:
 *
 *   const sb = await startSandbox({ dataDir, port: 0, registryPort: 0 });
 *   const ecr = new ECRClient({ endpoint: sb.endpoint, region: 'us-east-1', credentials: SANDBOX_CREDENTIALS });
 *   ...
 *   await sb.stop({ removeTasks: true });
 */
export { startSandbox, sandboxEnv, defaultDataDir, DEFAULT_PORT, DEFAULT_REGISTRY_PORT, type Sandbox, type SandboxOptions } from './sandbox.ts';
export { sandboxAdmin, type SandboxAdmin } from './client.ts';
export { ensureBaseImage, BASE_IMAGE } from './base-image.ts';
export type { FaultSpec, Stats } from './control.ts';
export { AwsError, type SandboxContext, type SandboxService } from './context.ts';

/** Dummy credentials: the sandbox accepts any SigV4 signature. */
export const SANDBOX_CREDENTIALS = { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } as const;
