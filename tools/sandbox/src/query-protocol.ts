/**
 * The AWS Query protocol, as Elastic Load Balancing v2 speaks it (service-2.json metadata
 * `"protocol": "query"`): a form-encoded POST (`Action=<Operation>&Version=2015-12-01&Names.member.1=…`),
 * answered with XML (`<OpResponse><OpResult>…</OpResult><ResponseMetadata>…`), errors as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 * Source: AWS Query protocol, https://smithy.io/2.0/aws/protocols/aws-query-protocol.html.
 *
 * The form is turned into the operation's input structure by the model (lists are `X.member.N`,
 * maps `X.entry.N.key/value`, numbers and booleans by their shape type), so the same model
 * validation as the JSON APIs runs on it.
 */
import { randomUUID } from 'node:crypto';
import { AwsError } from './context.ts';
import type { WireResponse } from './protocol.ts';

interface ShapeRef {
  shape: string;
}
interface Shape {
  type: string;
  members?: Record<string, ShapeRef>;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
}
export interface QueryModel {
  metadata: { apiVersion: string; xmlNamespace?: string };
  operations: Record<string, { input?: ShapeRef }>;
  shapes: Record<string, Shape>;
}

type Node = string | { [k: string]: Node };

/** Is this request a Query-protocol call (form-encoded, with an Action)? */
export function isQueryRequest(contentType: string | undefined, body: string): boolean {
  return /application\/x-www-form-urlencoded/i.test(contentType ?? '') && /(^|&)Action=/.test(body);
}

/** `Action`, `Version` and the input structure of a form-encoded call, shaped by the operation's input shape. */
export function parseQueryRequest(body: string, model: QueryModel): { operation: string; version: string | undefined; input: Record<string, unknown> } {
  const params = new URLSearchParams(body);
  const operation = params.get('Action') ?? '';
  const version = params.get('Version') ?? undefined;
  const tree: { [k: string]: Node } = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node = tree;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) {
        node[p] = value;
        return;
      }
      if (typeof node[p] !== 'object') node[p] = {};
      node = node[p] as { [k: string]: Node };
    });
  }
  const op = model.operations[operation];
  const input = op?.input ? (convert(tree, op.input.shape, model) as Record<string, unknown>) : {};
  return { operation, version, input: input && typeof input === 'object' ? input : {} };
}

function convert(node: Node, shapeName: string, model: QueryModel): unknown {
  const s = model.shapes[shapeName];
  if (!s) return node;
  switch (s.type) {
    case 'structure': {
      if (typeof node !== 'object') return node;
      const out: Record<string, unknown> = {};
      for (const [m, ref] of Object.entries(s.members ?? {})) if (node[m] !== undefined) out[m] = convert(node[m], ref.shape, model);
      return out;
    }
    case 'list': {
      // An empty list is sent as `Name=` (no members).
      if (node === '') return [];
      if (typeof node !== 'object') return node;
      const items = typeof node.member === 'object' ? node.member : node;
      return Object.keys(items)
        .filter((k) => /^\d+$/.test(k))
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => convert(items[k], s.member!.shape, model));
    }
    case 'map': {
      if (typeof node !== 'object') return node;
      const entries = typeof node.entry === 'object' ? node.entry : node;
      const out: Record<string, unknown> = {};
      for (const e of Object.values(entries)) if (typeof e === 'object' && typeof e.key === 'string') out[e.key] = convert(e.value ?? '', s.value!.shape, model);
      return out;
    }
    case 'integer':
    case 'long':
      return typeof node === 'string' && /^-?\d+$/.test(node) ? Number(node) : node;
    case 'double':
    case 'float':
      return typeof node === 'string' && node.trim() !== '' && Number.isFinite(Number(node)) ? Number(node) : node;
    case 'boolean':
      return node === 'true' ? true : node === 'false' ? false : node;
    default:
      return node;
  }
}

const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** One member as XML: lists as `<member>` items, structures as child elements, dates in ISO 8601. */
export function toXml(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('member', v)).join('')}</${name}>`;
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (typeof value === 'object') return `<${name}>${Object.entries(value).map(([k, v]) => toXml(k, v)).join('')}</${name}>`;
  return `<${name}>${escape(String(value))}</${name}>`;
}

const XML = 'text/xml';

export function queryOkResponse(operation: string, output: unknown, namespace: string, requestId: string = randomUUID()): WireResponse {
  const result = output && typeof output === 'object' ? Object.entries(output).map(([k, v]) => toXml(k, v)).join('') : '';
  return {
    status: 200,
    headers: { 'content-type': XML, 'x-amzn-requestid': requestId },
    body: `<${operation}Response xmlns="${namespace}"><${operation}Result>${result}</${operation}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${operation}Response>`,
  };
}

/** An AwsError as the Query protocol's ErrorResponse (its type is the model's error code, e.g. `TargetGroupNotFound`). */
export function queryErrorResponse(err: unknown, namespace: string, requestId: string = randomUUID()): WireResponse {
  const aws = err instanceof AwsError ? err : new AwsError('InternalFailure', `internal sandbox error: ${(err as Error)?.message ?? String(err)}`, 500);
  const fault = aws.status >= 500 ? 'Receiver' : 'Sender';
  return {
    status: aws.status,
    headers: { 'content-type': XML, 'x-amzn-requestid': requestId },
    body: `<ErrorResponse xmlns="${namespace}"><Error><Type>${fault}</Type><Code>${escape(aws.type)}</Code><Message>${escape(aws.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
