/**
 * Request validation against AWS's own service models (botocore `service-2.json`, vendored trimmed in
 * `libs/ferry/core/models/`, read by libs/ferry/core/src/aws-models.ts): before a handler runs, its input is checked for what the model states —
 * required members, member types, enum values, numeric ranges, string/list/map lengths and patterns.
 * A violation is answered as the service answers it: the model's `InvalidParameterException` when
 * the operation declares it (ECS and ECR both do for their parameter errors), otherwise
 * `ClientException` (ECS) or `ValidationException` (ECR), `ValidationError` for ELBv2 (Query protocol); a member of the wrong JSON type is a
 * `SerializationException`, as with any AWS JSON 1.1 service.
 *
 * Each operation's validator is compiled once, when the API is assembled (`modelValidator`), into
 * closures over the shapes; a call then walks only the input it was given.
 */
import { compileModel, loadModel, show, type ModelledApi, type Violation } from '../../../libs/ferry/core/src/aws-models.ts';
import { AwsError, type OperationHandler } from './context.ts';
import type { Operations } from './operations.ts';

export { compileModel, loadModel, shapeCheck, type CompileOptions, type ModelledApi, type ServiceModel, type Violation } from '../../../libs/ferry/core/src/aws-models.ts';

/**
 * Operations whose parameter errors the service reports with another of its declared exceptions:
 * ECS answers RegisterTaskDefinition's with `ClientException` (e.g. "Fargate requires that 'cpu' be
 * defined at the task level.", "Container.image should not be null or empty.").
 */
const ERROR_OVERRIDES: Record<string, Record<string, string>> = { ecs: { RegisterTaskDefinition: 'ClientException' } };

/** The APIs validated against a vendored model (the same set as ModelledApi). */
export type ModelApi = ModelledApi;

/** Checks one operation's input; `undefined` when the operation is not in the model. */
export type RequestValidator = (operation: string, input: unknown) => Violation[] | undefined;

/** The validator of one API's model (compiled now, once) and the error each operation answers with. */
export function modelValidator(api: ModelledApi): { validate: RequestValidator; error(operation: string, violations: Violation[]): AwsError } {
  const model = loadModel(api);
  const checks = compileModel(model);
  const fallback = api === 'ecs' ? 'ClientException' : 'ValidationException';
  return {
    validate(operation, input) {
      const check = checks.get(operation);
      if (!check) return undefined;
      const out: Violation[] = [];
      check(input ?? {}, '', out);
      return out;
    },
    error(operation, violations) {
      // Query-protocol services (ELBv2) answer every parameter error, a malformed number included, with
      // `ValidationError` (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/CommonErrors.html).
      if (api === 'elbv2') return new AwsError('ValidationError', formatViolations(violations));
      const typeError = violations.find((v) => v.type);
      // A member of the wrong JSON type fails deserialisation before any validation (AWS JSON 1.1).
      if (typeError) return new AwsError('SerializationException', `${typeError.constraint.replace(/^Member/, `'${typeError.path}'`)}; got ${show(typeError.value)}`);
      const declared = model.operations[operation]?.errors.map((e) => e.shape) ?? [];
      // An operation that declares neither (Application Auto Scaling's ListTagsForResource) gets the
      // service's own parameter error: InvalidParameterException where the model has one, else the
      // common ValidationException (https://docs.aws.amazon.com/autoscaling/application/APIReference/CommonErrors.html).
      const own = model.shapes.InvalidParameterException ? 'InvalidParameterException' : 'ValidationException';
      const type = ERROR_OVERRIDES[api]?.[operation] ?? (declared.includes('InvalidParameterException') ? 'InvalidParameterException' : declared.includes(fallback) ? fallback : own);
      return new AwsError(type, formatViolations(violations));
    },
  };
}

/** AWS's (Coral's) validation message: "1 validation error detected: Value 'x' at 'path' failed to satisfy constraint: …". */
export function formatViolations(violations: Violation[]): string {
  const n = violations.length;
  const each = violations.map((v) => `Value ${show(v.value)} at '${v.path}' failed to satisfy constraint: ${v.constraint}`);
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${each.join('; ')}`;
}

/** Wraps every handler of `table`: the input is validated against the model before the handler runs. */
export function validatedOperations(api: ModelledApi, table: Operations): Operations {
  const { validate, error } = modelValidator(api);
  const out: Operations = {};
  for (const [operation, handler] of Object.entries(table)) {
    const wrapped: OperationHandler = (input) => {
      const violations = validate(operation, input);
      if (violations?.length) throw error(operation, violations);
      return handler(input);
    };
    out[operation] = wrapped;
  }
  return out;
}
