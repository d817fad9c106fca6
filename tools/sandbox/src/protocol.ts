import { randomUUID } from 'node:crypto';
import { AwsError } from './context.ts';

/** The AWS JSON 1.1 APIs the sandbox speaks, keyed by their `X-Amz-Target` prefix. */
export const TARGET_PREFIXES = {
  ecs: 'AmazonEC2ContainerServiceV20141113',
  ecr: 'AmazonEC2ContainerRegistry_V20150921',
  logs: 'Logs_20140328',
  autoscaling: 'AnyScaleFrontendService',
} as const;

export type ApiName = keyof typeof TARGET_PREFIXES;

/** `AmazonEC2ContainerServiceV20141113.DescribeServices` -> `{api: 'ecs', operation: 'DescribeServices'}`. */
export function parseTarget(target: string | undefined): { api: ApiName; operation: string } | undefined {
  if (!target) return undefined;
  const dot = target.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(operation)) return undefined;
  for (const [api, p] of Object.entries(TARGET_PREFIXES)) if (p === prefix) return { api: api as ApiName, operation };
  return undefined;
}

/** A wire response: status, headers and the JSON body text. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const JSON_11 = 'application/x-amz-json-1.1';

export function okResponse(output: unknown, requestId: string = randomUUID()): WireResponse {
  return {
    status: 200,
    headers: { 'content-type': JSON_11, 'x-amzn-requestid': requestId },
    body: JSON.stringify(output ?? {}),
  };
}

/**
 * Serialises any thrown value the way AWS JSON 1.1 services do: an AwsError keeps its type and
 * status; anything else is a 500 `ServerException` (the message is kept: this is a local tool).
 */
export function errorResponse(err: unknown, requestId: string = randomUUID()): WireResponse {
  const aws =
    err instanceof AwsError ? err : new AwsError('ServerException', `internal sandbox error: ${(err as Error)?.message ?? String(err)}`, 500);
  return {
    status: aws.status,
    headers: { 'content-type': JSON_11, 'x-amzn-requestid': requestId, 'x-amzn-errortype': aws.type },
    body: JSON.stringify({ __type: aws.type, message: aws.message }),
  };
}

/** Parses a request body; empty means `{}`, anything but a JSON object is a SerializationException. */
export function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AwsError('SerializationException', `Malformed JSON request body: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AwsError('SerializationException', 'Request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
