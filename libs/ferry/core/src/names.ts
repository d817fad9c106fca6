/**
 * Naming rules for every value that reaches a process or an AWS API as a name. deploy.json is
 * validated against the same patterns (schema/deploy.schema.json); these helpers cover values that
 * do not come from a schema (defaults derived from the project name, tags computed at run time) so
 * a hostile value (`;`, `$(...)`, backticks, newlines, `../`) is refused before it goes anywhere.
 */
import { FerryError } from './errors.ts';

export type NameKind = 'repository' | 'service' | 'family' | 'containerName' | 'cluster' | 'tag' | 'environment';

interface NameRule {
  pattern: RegExp;
  expect: string;
  example: string;
}

export const NAME_RULES: Record<NameKind, NameRule> = {
  repository: {
    pattern: /^(?=.{2,256}$)(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/,
    expect: 'a valid ECR repository name: 2-256 lowercase letters, digits and . _ - separators, optionally with / namespaces',
    example: 'api',
  },
  service: { pattern: /^[A-Za-z0-9_-]{1,255}$/, expect: '1-255 letters, digits, hyphens or underscores (the ECS naming rule)', example: 'api' },
  family: { pattern: /^[A-Za-z0-9_-]{1,255}$/, expect: '1-255 letters, digits, hyphens or underscores (the ECS naming rule)', example: 'api' },
  containerName: { pattern: /^[A-Za-z0-9_-]{1,255}$/, expect: '1-255 letters, digits, hyphens or underscores (the ECS naming rule)', example: 'api' },
  cluster: { pattern: /^[A-Za-z0-9_-]{1,255}$/, expect: '1-255 letters, digits, hyphens or underscores (the ECS naming rule)', example: 'ferry-local' },
  tag: { pattern: /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, expect: 'an image tag: up to 128 letters, digits, _ . - not starting with . or -', example: 'ft-0123456789abcdef0123' },
  environment: { pattern: /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,63}$/, expect: 'an environment name: letters, digits, _ and -', example: 'staging' },
};

/** True when `value` follows the naming rule of `kind`. */
export function isValidName(kind: NameKind, value: unknown): value is string {
  return typeof value === 'string' && NAME_RULES[kind].pattern.test(value);
}

/** Throws CONFIG_INVALID naming `where` when `value` breaks the naming rule of `kind`. */
export function assertValidName(kind: NameKind, value: unknown, where: string): string {
  if (isValidName(kind, value)) return value;
  const rule = NAME_RULES[kind];
  throw new FerryError(
    'CONFIG_INVALID',
    `${where} must be ${rule.expect} (got ${showValue(value)}). Example: ${JSON.stringify(rule.example)}`,
  );
}

/** A short, escaped rendering of a bad value for an error message (newlines and control characters stay visible). */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Levenshtein distance, for "did you mean" suggestions. */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

/** The closest candidate when it is close enough to be a likely typo. */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const limit = Math.max(2, Math.floor(word.length / 3));
  if (best !== undefined && (bestDistance <= limit || best.toLowerCase().includes(word.toLowerCase()) || word.toLowerCase().includes(best.toLowerCase()))) return best;
  return undefined;
}
