import { AwsError } from '../context.ts';

/** The ECR model's repositoryName pattern (namespaces separated by `/`). */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** Docker's tag grammar, which ECR also enforces (max 128 characters). */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/**
 * Why a repository name is rejected, or undefined when it is valid: 2–256 characters, starts with a
 * letter, lowercase letters, digits, and `-`, `_`, `.` between them, `/` separating namespaces.
 */
export function repositoryNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'repositoryName is required';
  if (name.length < 2 || name.length > 256) return `repositoryName '${name}' must be 2 to 256 characters long`;
  if (!/^[a-z]/.test(name)) return `repositoryName '${name}' must start with a lowercase letter`;
  if (!REPOSITORY_NAME.test(name)) {
    return `repositoryName '${name}' failed to satisfy constraint: must use lowercase letters, digits, and '-', '_', '.' between them, with '/' separating namespaces`;
  }
  return undefined;
}

export function assertRepositoryName(name: unknown): asserts name is string {
  const problem = repositoryNameProblem(name);
  if (problem) throw new AwsError('InvalidParameterException', `Invalid parameter at 'repositoryName': ${problem}`);
}

export function isImageTag(tag: unknown): tag is string {
  return typeof tag === 'string' && IMAGE_TAG.test(tag);
}

export function isDigest(digest: unknown): digest is string {
  return typeof digest === 'string' && DIGEST.test(digest);
}
