/**
 * Masks secrets in text before anyone prints it. Two layers:
 *   - `redact(text)`: pure, pattern-based (AWS keys, `password=…`, Basic/Bearer headers, URL
 *     credentials, ECR-sized tokens). For text with no run session at hand.
 *   - the run's `SecretSet` (`session.use(runSecrets)`): the literal secrets this run obtained (a
 *     registry password, an ECR token), masked on top of the patterns in everything printed for
 *     the run: its reporters, the runner's crash reports and errors (`redactorFor(session)`).
 * Libraries may call `redact` on text that embeds command lines or AWS answers; the printer masks
 * the run's secrets again when it writes, so a library never needs the session just to mask.
 */
import { FerryError, isFerryError } from './errors.ts';
import { sessionPart, type RunSession } from './session.ts';

const MASK = '***';
/** Shorter literals would mask ordinary words. */
const MIN_SECRET_LENGTH = 6;

const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // AWS access key ids (AKIA… long-term, ASIA… temporary).
  [/\b(?:AKIA|ASIA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b/g, MASK],
  // aws_secret_access_key=…, AWS_SESSION_TOKEN: …, "password": "…", token=… in any of the usual shapes.
  [
    /((?:aws_?)?(?:secret_?access_?key|session_?token|password|passwd|secret|token|api_?key|authorization)["']?\s*[:=]\s*["']?)(?:Basic |Bearer )?([^\s"',;&]+)/gi,
    (_m: string, key: string) => `${key}${MASK}`,
  ],
  // --password value / -p value on command lines (docker login).
  [/(--password(?:-stdin)?[ =]|(?:^|\s)-p\s+)(?!-)(\S+)/g, (_m: string, flag: string) => `${flag}${MASK}`],
  // Authorization headers.
  [/\b(Basic|Bearer)\s+[A-Za-z0-9+/=._-]{8,}/g, (_m: string, scheme: string) => `${scheme} ${MASK}`],
  // user:password@host in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s/]+@/gi, (_m: string, pre: string) => `${pre}${MASK}@`],
  // 40-character AWS secret keys standing alone next to an access key context are caught above; long base64 ECR tokens:
  [/\b[A-Za-z0-9+/]{200,}={0,2}/g, MASK],
];

/** Returns `text` with registry passwords, tokens and AWS keys masked by their shape. Pure. */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep as never);
  return out;
}

/** What a printer masks text with before it writes it. */
export interface Redactor {
  redact(text: string): string;
}

/** The patterns alone: for output that belongs to no run session. */
export const patternRedactor: Redactor = Object.freeze({ redact });

/**
 * The secrets one run obtained (a registry password, an ECR token): masked, with the patterns, in
 * everything printed for that run. It only grows, and holds nothing but masks; two runs (two
 * sessions in one process, or two tests) never share one.
 */
export class SecretSet implements Redactor {
  readonly #secrets = new Set<string>();

  /** Adds a literal secret just obtained; values too short to mask safely are ignored. */
  add(secret: string | undefined | null): void {
    if (secret && secret.length >= MIN_SECRET_LENGTH) this.#secrets.add(secret);
  }

  /** How many secrets are registered (for tests and diagnostics; never the values). */
  get size(): number {
    return this.#secrets.size;
  }

  /** `text` with this run's secrets and the patterns masked. */
  redact(text: string): string {
    let out = text;
    // Longest first: a secret that contains another is masked whole, not around the shorter one.
    for (const secret of [...this.#secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(MASK);
    return redact(out);
  }
}

/** The run's secrets (see SecretSet). */
export const runSecrets = sessionPart('run-time secrets', () => new SecretSet());

/** How what is printed for `session` is masked: its secrets and the patterns; the patterns alone without a session. */
export function redactorFor(session: Pick<RunSession, 'use'> | undefined): Redactor {
  return session ? session.use(runSecrets) : patternRedactor;
}

/** Every string in `value` (objects and arrays walked, other values kept) masked with `r`. Pure. */
export function redactDeep<T>(value: T, r: Redactor): T {
  if (typeof value === 'string') return r.redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, r)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactDeep(v, r)])) as T;
  }
  return value;
}

/**
 * An error as it may be printed: message, stack, details and causes masked with `r`. Used where an
 * error leaves a run to be printed by someone else (Nx, Node's handler of an uncaught error).
 * A FerryError stays a FerryError with the same code and exit code.
 */
export function redactError(e: unknown, r: Redactor): Error {
  const error = e instanceof Error ? e : new Error(String(e));
  const cause = error.cause === undefined ? undefined : redactError(error.cause, r);
  const message = r.redact(error.message);
  const out = isFerryError(error)
    ? new FerryError(error.code, message, { exitCode: error.exitCode, details: error.details.map((d) => r.redact(d)), ...(cause && { cause }) })
    : new Error(message, cause ? { cause } : undefined);
  out.name = error.name;
  if (error.stack) out.stack = r.redact(error.stack);
  return out;
}
