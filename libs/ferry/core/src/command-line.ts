/**
 * A one-off task's command: a command line split into arguments the way a POSIX shell would split it
 * (quotes, backslashes), without running a shell — or a JSON array of arguments as written. ECS runs
 * the result as the container's `command` (exec form), so shell features (pipes, `&&`, redirects,
 * globs, `$VAR`) are not available; a command line using an operator is refused with what to write
 * instead. Splitting: shell-quote's parser.
 */
import { parse } from 'shell-quote';
import { FerryError } from './errors.ts';

/** `node -e "console.log(1)"` → `['node', '-e', 'console.log(1)']`. `$VAR` stays literal. Throws on shell operators. */
export function splitCommandLine(line: string): string[] {
  // An env function that returns the reference itself keeps `$VAR` as written (no expansion here: the
  // container's environment is not this machine's).
  const parts = parse(line, (name) => `$${name}`);
  const out: string[] = [];
  for (const p of parts) {
    if (typeof p === 'string') out.push(p);
    else if ('comment' in p) break;
    else if ('op' in p && p.op === 'glob') out.push((p as { pattern: string }).pattern);
    else
      throw new FerryError(
        'USAGE',
        `the command line uses the shell operator ${JSON.stringify((p as { op: string }).op)}, but a one-off task runs no shell. Run one through the image's shell instead, e.g. --command 'sh -c "a && b"', or quote the character.`,
      );
  }
  return out;
}

/** A `--command` value: a JSON array of strings (when it starts with `[`), otherwise a command line. */
export function parseCommandOption(value: string): string[] {
  const text = value.trim();
  let args: string[];
  if (text.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new FerryError('USAGE', `--command starts with [ but is not a JSON array (${(e as Error).message}). Example: --command '["node","migrate.js"]'`);
    }
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new FerryError('USAGE', `--command as JSON must be an array of strings. Example: --command '["node","migrate.js"]'`);
    args = parsed;
  } else args = splitCommandLine(text);
  if (args.length === 0) throw new FerryError('USAGE', `--command is empty. Example: --command 'node dist/migrate.js'`);
  return args;
}

/** Arguments shown as one command line that splitCommandLine reads back to the same arguments. */
export function formatCommandLine(args: readonly string[]): string {
  return args.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
