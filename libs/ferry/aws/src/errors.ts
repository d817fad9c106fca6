/**
 * AWS error classification. The SDK throws ServiceException subclasses whose `name` is the AWS error
 * code (`RepositoryNotFoundException`, `ThrottlingException`…); callers branch on these helpers
 * rather than on message text, and wrap everything else with what was being attempted.
 */
import { FerryError } from '@ferry/core';

/** Error codes AWS uses for throttling (the smithy retry strategy's list, plus ECS/ECR spellings). */
const THROTTLING_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Node socket error codes meaning "nothing answered at that address". */
const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Error codes that mean the caller has no usable credentials or lacks permission. */
const AUTH_NAMES = new Set([
  'CredentialsProviderError',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'AccessDeniedException',
  'AccessDenied',
]);

/**
 * The AWS error code of an SDK error (`error.name`), or '' for anything else. A FerryError made by a
 * port from an AWS error (`attempt`) answers with the code of the error it wraps.
 */
export function awsErrorName(e: unknown): string {
  if (e instanceof FerryError) return e.cause !== undefined ? awsErrorName(e.cause) : '';
  if (e && typeof e === 'object' && 'name' in e && typeof (e as { name: unknown }).name === 'string') {
    return (e as { name: string }).name;
  }
  return '';
}

/** `*NotFoundException` / `*NotFound` (repository, image, lifecycle policy, service, cluster…). */
export function isNotFound(e: unknown, name?: string): boolean {
  const n = awsErrorName(e);
  if (name) return n === name;
  return /NotFound(Exception)?$/.test(n);
}

/** The service (or a client-side rate limiter) asked us to slow down. */
export function isThrottling(e: unknown): boolean {
  const n = awsErrorName(e);
  if (THROTTLING_NAMES.has(n)) return true;
  const raw = e instanceof FerryError ? e.cause : e;
  const status = (raw as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
  return status === 429;
}

/** Credentials missing, expired, or not allowed to do this. */
export function isAuthError(e: unknown): boolean {
  return AUTH_NAMES.has(awsErrorName(e));
}

/** A socket-level failure: nothing listens at the endpoint, or the connection broke. */
export function isConnectionError(e: unknown): boolean {
  let cur: unknown = e;
  for (let depth = 0; cur && typeof cur === 'object' && depth < 5; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    // Node's happy-eyeballs connect reports an AggregateError whose members carry the codes.
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.some((x) => isConnectionError(x))) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/** `failed to <attempted>: <Code>: <message>`, for wrapping an unexpected AWS error. */
export function awsErrorMessage(e: unknown, attempted: string): string {
  const name = awsErrorName(e);
  const message = e instanceof Error ? e.message : String(e);
  const prefix = name && name !== 'Error' && !message.startsWith(name) ? `${name}: ` : '';
  return `failed to ${attempted}: ${prefix}${message}`;
}

/**
 * Wraps an unexpected AWS error as FerryError('AWS_ERROR') naming the attempted action. FerryErrors
 * (raised by the client middleware for missing credentials or a dead endpoint) pass through unchanged.
 */
export function toFerryError(e: unknown, attempted: string): FerryError {
  if (e instanceof FerryError) return e;
  if (isAuthError(e)) {
    return new FerryError('AWS_CREDENTIALS', `${awsErrorMessage(e, attempted)}. Check that your AWS credentials are current and allowed to do this (aws sts get-caller-identity).`, { cause: e });
  }
  if (isThrottling(e)) {
    return new FerryError(
      'AWS_ERROR',
      `${awsErrorMessage(e, attempted)}. AWS kept throttling after every retry: the account's API rate is shared by everything running in it. ` +
        'Rerun (finished apps are up to date and cost one read), and deploy fewer apps at once: lower `maxParallel` in ferry.json or FERRY_MAX_PARALLEL, or the number of parallel CI jobs (docs/scaling.md).',
      { cause: e },
    );
  }
  return new FerryError('AWS_ERROR', awsErrorMessage(e, attempted), { cause: e });
}

/**
 * Runs one AWS call and translates its failure where it happens (the ports call this, so callers
 * never wrap AWS errors themselves): the error becomes a FerryError naming what was attempted, and
 * `awsErrorName`/`isNotFound`/`isThrottling` still read the AWS code through it.
 */
export async function attempt<T>(attempted: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw toFerryError(e, attempted);
  }
}
