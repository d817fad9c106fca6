/**
 * The AWS SDK warns about the Node.js version with a nine-line `NodeVersionSupportWarning` (once
 * per copy of the SDK in the process). ferry replaces it, for the length of a run, with one
 * sentence of its own on the Node versions it supports, said at most once per run
 * (docs/adopting.md, "Node.js versions").
 */

/** What ferry says instead of the SDK's warning. */
export function nodeSupportSentence(version = process.version): string {
  return `warning: Node.js ${version}: ferry supports and tests Node 20 and 22; Node 20 is end-of-life, move to Node 22.`;
}

/** Whether a process warning is the AWS SDK's Node version warning. */
export function isSdkNodeWarning(warning: string | Error, type?: unknown): boolean {
  const text = typeof warning === 'string' ? warning : `${warning.name}: ${warning.message}`;
  return /^NodeVersionSupportWarning\b/.test(text) || type === 'NodeVersionSupportWarning' || (typeof type === 'object' && (type as { type?: string } | null)?.type === 'NodeVersionSupportWarning');
}

/**
 * Swallows the SDK's warning on `proc` until the returned function is called, and says ferry's
 * sentence once (on `write`) the first time the SDK tries to warn. `NODE_NO_WARNINGS=1` silences
 * both, as it does Node's own warnings.
 */
export function replaceSdkNodeWarning(proc: Pick<NodeJS.Process, 'emitWarning'>, write: (line: string) => void, env: NodeJS.ProcessEnv = process.env): () => void {
  const original = proc.emitWarning;
  let said = false;
  const filtered = function (this: unknown, warning: string | Error, ...rest: unknown[]): void {
    if (isSdkNodeWarning(warning, rest[0])) {
      if (!said && env.NODE_NO_WARNINGS !== '1') write(nodeSupportSentence());
      said = true;
      return;
    }
    return (original as (...a: unknown[]) => void).call(proc, warning, ...rest);
  } as NodeJS.Process['emitWarning'];
  proc.emitWarning = filtered;
  return () => {
    if (proc.emitWarning === filtered) proc.emitWarning = original;
  };
}
