/**
 * AWS's own service models (botocore `service-2.json`, vendored trimmed in `libs/ferry/core/models/`,
 * Apache-2.0: see its NOTICE) as checks: required members, member types, enum values, numeric
 * ranges, string/list/map lengths and patterns. Pure over the model file.
 *
 * Used by ferry (a task definition template is checked against ECS's RegisterTaskDefinition input
 * before anything is built: task-template.ts) and by the sandbox, which validates every request
 * against the same models (tools/sandbox/src/model-validation.ts answers violations as AWS does).
 */
import { readFileSync } from 'node:fs';

interface ShapeRef {
  shape: string;
}
interface Shape {
  type: string;
  members?: Record<string, ShapeRef>;
  required?: string[];
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  member?: ShapeRef;
  key?: ShapeRef;
  value?: ShapeRef;
}
export interface ServiceModel {
  metadata: { serviceId: string; targetPrefix: string };
  operations: Record<string, { input?: ShapeRef; errors: ShapeRef[] }>;
  shapes: Record<string, Shape>;
}

/** One constraint a request broke: where (`containerDefinitions.1.member.name`, Coral's path form), the value, and what. */
export interface Violation {
  path: string;
  value: unknown;
  constraint: string;
  /** A member of the wrong JSON type (deserialisation, not validation). */
  type?: boolean;
  /** For a member the structure does not declare: the members it does. */
  known?: string[];
}

type Check = (value: unknown, path: string, out: Violation[]) => void;


/** The models this sandbox serves, by API key (`ecs`, `ecr`, `autoscaling`, `elbv2`). */
const MODEL_FILES: Record<string, string> = { ecs: 'ecs.json', ecr: 'ecr.json', autoscaling: 'application-autoscaling.json', elbv2: 'elbv2.json' };

/** An API whose requests are validated against its vendored model. */
export type ModelledApi = 'ecs' | 'ecr' | 'autoscaling' | 'elbv2';

export function loadModel(api: string): ServiceModel {
  const file = new URL(`../models/${MODEL_FILES[api]}`, import.meta.url);
  return JSON.parse(readFileSync(file, 'utf8')) as ServiceModel;
}

/**
 * Java's POSIX character classes, which JavaScript does not know (`\p{Print}` would be a syntax error
 * with the `u` flag and a literal `p` without it): ASCII, as java.util.regex.Pattern defines them.
 */
const JAVA_POSIX: Record<string, string> = { Print: '[\\x20-\\x7E]', Graph: '[\\x21-\\x7E]', Alnum: '[A-Za-z0-9]', Alpha: '[A-Za-z]', Digit: '[0-9]', Punct: '[!-\\/:-@\\[-`{-~]' };

/** AWS patterns are Java regular expressions matched against the whole value. */
function compilePattern(java: string): RegExp | undefined {
  const p = java.replace(/\\p\{(Print|Graph|Alnum|Alpha|Digit|Punct)\}/g, (_, c: string) => JAVA_POSIX[c]);
  for (const flags of ['u', '']) {
    try {
      return new RegExp(`^(?:${p})$`, flags);
    } catch {
      // try without the unicode flag
    }
  }
  return undefined;
}

export const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : v === null || v === undefined ? 'null' : `'${JSON.stringify(v)}'`);

/** How strictly a compiled check reads a value. */
export interface CompileOptions {
  /**
   * Report members a structure does not declare (`Member is not in the model`). Off for requests:
   * AWS JSON services ignore unknown members. On for documents ferry turns into requests (a task
   * definition template): the SDK drops an unknown member silently, so a typo would never reach AWS.
   */
  unknownMembers?: boolean;
}

/** Compiles the checks of every operation's input shape (shared shapes compiled once). */
export function compileModel(model: ServiceModel, opts: CompileOptions = {}): Map<string, Check> {
  const compile = shapeCompiler(model, opts);
  const out = new Map<string, Check>();
  for (const [name, op] of Object.entries(model.operations)) if (op.input) out.set(name, compile(op.input.shape));
  return out;
}

/** The check of one named shape of `model`, e.g. `RegisterTaskDefinitionRequest`. */
export function shapeCheck(model: ServiceModel, shape: string, opts: CompileOptions = {}): (value: unknown) => Violation[] {
  const check = shapeCompiler(model, opts)(shape);
  return (value) => {
    const out: Violation[] = [];
    check(value, '', out);
    return out;
  };
}

function shapeCompiler(model: ServiceModel, opts: CompileOptions): (name: string) => Check {
  const cache = new Map<string, Check>();
  const compile = (name: string): Check => {
    const hit = cache.get(name);
    if (hit) return hit;
    // Recursive shapes: a forwarding check until the real one is built.
    let real: Check = () => {};
    cache.set(name, (v, p, o) => real(v, p, o));
    real = build(model.shapes[name]);
    cache.set(name, real);
    return real;
  };
  const build = (s: Shape | undefined): Check => {
    if (!s) return () => {};
    switch (s.type) {
      case 'structure': {
        const members = Object.entries(s.members ?? {}).map(([m, ref]) => [m, compile(ref.shape)] as const);
        const required = s.required ?? [];
        const known = new Set(Object.keys(s.members ?? {}));
        return (v, path, out) => {
          if (typeof v !== 'object' || v === null || Array.isArray(v)) return void out.push({ path, value: v, constraint: 'Member must be a structure', type: true });
          const obj = v as Record<string, unknown>;
          if (opts.unknownMembers) for (const k of Object.keys(obj)) if (!known.has(k)) out.push({ path: join(path, k), value: obj[k], constraint: 'Member is not in the model', known: [...known] });
          for (const r of required) if (obj[r] === undefined || obj[r] === null) out.push({ path: join(path, r), value: null, constraint: 'Member must not be null' });
          for (const [m, check] of members) if (obj[m] !== undefined && obj[m] !== null) check(obj[m], join(path, m), out);
        };
      }
      case 'list': {
        const item = compile(s.member!.shape);
        const len = lengthCheck(s);
        return (v, path, out) => {
          if (!Array.isArray(v)) return void out.push({ path, value: v, constraint: 'Member must be a list', type: true });
          len(v.length, v, path, out);
          v.forEach((x, i) => x !== null && item(x, `${join(path, String(i + 1))}.member`, out));
        };
      }
      case 'map': {
        const key = compile(s.key!.shape);
        const value = compile(s.value!.shape);
        const len = lengthCheck(s);
        return (v, path, out) => {
          if (typeof v !== 'object' || v === null || Array.isArray(v)) return void out.push({ path, value: v, constraint: 'Member must be a map', type: true });
          const entries = Object.entries(v as Record<string, unknown>);
          len(entries.length, v, path, out);
          for (const [k, x] of entries) {
            key(k, `${path}.key`, out);
            if (x !== null) value(x, `${path}.${k}`, out);
          }
        };
      }
      case 'string': {
        const allowed = s.enum ? new Set(s.enum) : undefined;
        const re = s.pattern !== undefined ? compilePattern(s.pattern) : undefined;
        const len = lengthCheck(s);
        return (v, path, out) => {
          if (typeof v !== 'string') return void out.push({ path, value: v, constraint: 'Member must be a string', type: true });
          if (allowed && !allowed.has(v)) out.push({ path, value: v, constraint: `Member must satisfy enum value set: [${s.enum!.join(', ')}]` });
          len([...v].length, v, path, out);
          if (re && !re.test(v)) out.push({ path, value: v, constraint: `Member must satisfy regular expression pattern: ${s.pattern}` });
        };
      }
      case 'integer':
      case 'long':
      case 'double':
      case 'float': {
        const whole = s.type === 'integer' || s.type === 'long';
        return (v, path, out) => {
          if (typeof v !== 'number' || (whole && !Number.isInteger(v))) return void out.push({ path, value: v, constraint: `Member must be ${whole ? 'an integer' : 'a number'}`, type: true });
          if (s.min !== undefined && v < s.min) out.push({ path, value: v, constraint: `Member must have value greater than or equal to ${s.min}` });
          if (s.max !== undefined && v > s.max) out.push({ path, value: v, constraint: `Member must have value less than or equal to ${s.max}` });
        };
      }
      case 'boolean':
        return (v, path, out) => {
          if (typeof v !== 'boolean') out.push({ path, value: v, constraint: 'Member must be a boolean', type: true });
        };
      case 'timestamp':
        return (v, path, out) => {
          if (typeof v !== 'number' && typeof v !== 'string') out.push({ path, value: v, constraint: 'Member must be a timestamp', type: true });
        };
      case 'blob':
        return (v, path, out) => {
          if (typeof v !== 'string') out.push({ path, value: v, constraint: 'Member must be base64 text', type: true });
        };
      default:
        return () => {};
    }
  };
  return compile;
}

const join = (path: string, m: string) => (path ? `${path}.${m}` : m);

function lengthCheck(s: Shape): (n: number, v: unknown, path: string, out: Violation[]) => void {
  return (n, v, path, out) => {
    if (s.min !== undefined && n < s.min) out.push({ path, value: v, constraint: `Member must have length greater than or equal to ${s.min}` });
    if (s.max !== undefined && n > s.max) out.push({ path, value: v, constraint: `Member must have length less than or equal to ${s.max}` });
  };
}
