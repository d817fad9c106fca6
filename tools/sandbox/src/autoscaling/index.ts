/**
 * The sandbox's Application Auto Scaling part: the subset ferry reads and tests set up
 * (RegisterScalableTarget, DescribeScalableTargets, DeregisterScalableTarget) over a persisted state
 * (`<dataDir>/state/autoscaling.json`). Requests are validated against AWS's model first
 * (`models/application-autoscaling.json`, model-validation.ts). It records scalable targets only:
 * no scaling policy runs, and registering a target does not move the service's desired count.
 * Shapes: /work/shared/aws-models/application-autoscaling (service-2.json); AWS JSON 1.1,
 * X-Amz-Target `AnyScaleFrontendService.<Operation>`.
 */
import type { SandboxContext, SandboxService } from '../context.ts';
import { AwsError } from '../context.ts';
import { validatedOperations } from '../model-validation.ts';
import { bufferedStore, flushAfterEach } from '../state.ts';

interface TargetRecord {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: number;
  SuspendedState?: { DynamicScalingInSuspended?: boolean; DynamicScalingOutSuspended?: boolean; ScheduledScalingSuspended?: boolean };
  ScalableTargetARN: string;
}
export interface AutoScalingState {
  targets: Record<string, TargetRecord>;
}

const keyOf = (ns: string, id: string, dim: string) => `${ns}|${id}|${dim}`;
const validation = (message: string) => new AwsError('ValidationException', message);

/**
 * What the API checks beyond the model for ECS: the resource id form and the one dimension
 * (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html,
 * ResourceId "ECS service - service/<cluster-name>/<service-name>").
 */
function checkEcsTarget(ns: string, id: string, dim: string): void {
  if (ns !== 'ecs') return;
  if (!/^service\/[^/]+\/[^/]+$/.test(id)) throw validation(`Unsupported resource ID format: ${id}. Expected service/<cluster-name>/<service-name>.`);
  if (dim !== 'ecs:service:DesiredCount') throw validation(`Unsupported scalable dimension ${dim} for service namespace ecs.`);
}

export function createAutoScalingService(ctx: Pick<SandboxContext, 'state' | 'region' | 'accountId'>): SandboxService {
  const store = bufferedStore(ctx.state<AutoScalingState>('autoscaling', { targets: {} }));
  const state = () => store.get();
  let seq = Object.keys(state().targets).length;

  const operations: SandboxService['handlers'] = {
    RegisterScalableTarget(i) {
      const { ServiceNamespace: ns, ResourceId: id, ScalableDimension: dim } = i as { ServiceNamespace: string; ResourceId: string; ScalableDimension: string };
      checkEcsTarget(ns, id, dim);
      const key = keyOf(ns, id, dim);
      const existing = state().targets[key];
      const min = (i.MinCapacity as number | undefined) ?? existing?.MinCapacity;
      const max = (i.MaxCapacity as number | undefined) ?? existing?.MaxCapacity;
      // A new target needs both bounds (RegisterScalableTarget: "required if you are registering a new scalable target").
      if (min === undefined || max === undefined) throw validation('MinCapacity and MaxCapacity are required when registering a new scalable target.');
      if (min > max) throw validation(`Minimum capacity (${min}) cannot be greater than maximum capacity (${max}).`);
      const arn = existing?.ScalableTargetARN ?? `arn:aws:application-autoscaling:${ctx.region}:${ctx.accountId}:scalable-target/${(++seq).toString(16).padStart(32, '0')}`;
      store.update((s) => {
        s.targets[key] = {
          ServiceNamespace: ns,
          ResourceId: id,
          ScalableDimension: dim,
          MinCapacity: min,
          MaxCapacity: max,
          RoleARN: (i.RoleARN as string | undefined) ?? existing?.RoleARN ?? `arn:aws:iam::${ctx.accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`,
          CreationTime: existing?.CreationTime ?? Date.now() / 1000,
          ...((i.SuspendedState ?? existing?.SuspendedState) && { SuspendedState: (i.SuspendedState ?? existing?.SuspendedState) as TargetRecord['SuspendedState'] }),
          ScalableTargetARN: arn,
        };
      });
      return { ScalableTargetARN: arn };
    },
    DescribeScalableTargets(i) {
      const ids = Array.isArray(i.ResourceIds) ? (i.ResourceIds as string[]) : undefined;
      const all = Object.values(state().targets)
        .filter((t) => t.ServiceNamespace === i.ServiceNamespace && (!ids || ids.includes(t.ResourceId)) && (i.ScalableDimension === undefined || t.ScalableDimension === i.ScalableDimension))
        .sort((a, b) => a.ResourceId.localeCompare(b.ResourceId));
      const start = Number(i.NextToken ?? 0) || 0;
      const limit = Math.min(Number(i.MaxResults ?? 50) || 50, 50);
      const slice = all.slice(start, start + limit);
      return { ScalableTargets: slice.map((t) => ({ ...t })), ...(start + limit < all.length && { NextToken: String(start + limit) }) };
    },
    DeregisterScalableTarget(i) {
      const key = keyOf(String(i.ServiceNamespace), String(i.ResourceId), String(i.ScalableDimension));
      if (!state().targets[key]) {
        throw new AwsError('ObjectNotFoundException', `No scalable target registered for service namespace: ${i.ServiceNamespace}, resource ID: ${i.ResourceId}, scalable dimension: ${i.ScalableDimension}`);
      }
      store.update((s) => delete s.targets[key]);
      return {};
    },
  };
  const handlers = validatedOperations('autoscaling', operations);
  flushAfterEach(handlers, store);
  return {
    handlers,
    async start() {},
    async stop() {
      store.flush();
    },
  };
}
