/**
 * Tasks: RunTask, ListTasks, DescribeTasks, StopTask. Service tasks are started by the controller;
 * RunTask builds standalone tasks (`group` `family:<name>`, `startedBy` as given) and hands them to
 * it; StopTask hands the stop to it (stopCode UserInitiated). A standalone task stops when an
 * essential container exits (EssentialContainerExited, the containers' `exitCode` kept) and stays
 * visible in DescribeTasks/ListTasks afterwards like any STOPPED task (ECS-SEMANTICS §3).
 */
import { randomBytes } from 'node:crypto';
import type { Operations } from '../../operations.ts';
import { nowSeconds, type TaskOverrides, type TaskRecord } from '../model.ts';
import { isLive, taskView } from '../views.ts';
import { awsvpcNetworkRefusal, checkUserTags } from './ecs-rules.ts';
import { type ApiDeps, checkTags, client, findTaskDef, getCluster, getService, invalid, lastSegment, paginate, withTags } from './common.ts';

/** RunTask starts at most 10 tasks per call (API_RunTask: "You can specify up to 10 tasks for each call"). */
const MAX_RUN_COUNT = 10;
/** startedBy: up to 128 letters, numbers, hyphens, forward slashes and underscores (API_RunTask). */
const STARTED_BY_RE = /^[a-zA-Z0-9_/-]{1,128}$/;

/** The task operations. */
export function taskOperations({ store, arns, controller }: ApiDeps): Operations {
  const st = () => store.get();
  return {
    /**
     * RunTask, as API_RunTask describes it: `taskDefinition` (family, family:revision or ARN; a bare
     * family is its latest ACTIVE revision), `count` 1–10, `group` defaulting to `family:<family>`,
     * `launchType` or `capacityProviderStrategy` (not both), `overrides.containerOverrides` naming
     * containers of the task definition. An awsvpc task definition needs `networkConfiguration`, as on
     * CreateService (ecs-rules.ts awsvpcNetworkRefusal); tasks still run on the host network.
     */
    RunTask(input) {
      const cluster = getCluster(st(), input?.cluster);
      const td = findTaskDef(st(), input?.taskDefinition);
      if (!td) throw client('TaskDefinition not found.');
      if (td.status !== 'ACTIVE') throw client(`TaskDefinition is inactive (${td.taskDefinitionArn}).`);
      const network = awsvpcNetworkRefusal(td.networkMode, input.networkConfiguration);
      if (network) throw invalid(network);
      const count = input.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > MAX_RUN_COUNT) throw invalid(`count must be between 1 and ${MAX_RUN_COUNT}.`);
      if (input.startedBy !== undefined && !STARTED_BY_RE.test(input.startedBy))
        throw invalid('startedBy may contain up to 128 letters, numbers, hyphens, forward slashes and underscores.');
      const cps = Array.isArray(input.capacityProviderStrategy) ? input.capacityProviderStrategy : undefined;
      if (input.launchType !== undefined && cps?.length) throw invalid('Specifying both a launch type and capacity provider strategy is not supported.');
      const overrides = (input.overrides ?? undefined) as TaskOverrides | undefined;
      for (const o of overrides?.containerOverrides ?? []) {
        if (!td.containerDefinitions.some((c) => c.name === o.name)) throw invalid(`Override for container named ${o.name} is not a container in the TaskDefinition.`);
      }
      if (input.propagateTags !== undefined && !['TASK_DEFINITION', 'NONE'].includes(input.propagateTags))
        throw invalid('propagateTags must be TASK_DEFINITION or NONE for RunTask.');
      const userTags = checkTags(input.tags);
      checkUserTags(userTags);
      const tags = [
        ...(input.propagateTags === 'TASK_DEFINITION' ? (st().taskDefinitionTags[td.taskDefinitionArn] ?? []) : []),
        ...userTags,
        ...(input.enableECSManagedTags ? [{ key: 'aws:ecs:clusterName', value: cluster.name }] : []),
      ];
      const provider = cps?.[0]?.capacityProvider as string | undefined;
      const launchType = input.launchType ?? (provider?.startsWith('FARGATE') ? 'FARGATE' : 'EC2');
      const tasks: TaskRecord[] = [];
      for (let i = 0; i < count; i++) {
        const id = randomBytes(16).toString('hex');
        tasks.push({
          taskArn: arns.task(cluster.name, id),
          id,
          clusterName: cluster.name,
          clusterArn: cluster.arn,
          taskDefinitionArn: td.taskDefinitionArn,
          lastStatus: 'PROVISIONING',
          desiredStatus: 'RUNNING',
          healthStatus: 'UNKNOWN',
          launchType,
          ...(provider ? { capacityProviderName: provider } : {}),
          ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
          group: typeof input.group === 'string' && input.group ? input.group : `family:${td.family}`,
          createdAt: nowSeconds(),
          containers: td.containerDefinitions.map((c) => ({
            containerArn: arns.container(cluster.name, id, c.name),
            name: c.name,
            image: c.image,
            lastStatus: 'PENDING',
            healthStatus: 'UNKNOWN',
            essential: c.essential !== false,
          })),
          tags: [...tags],
          overrides: overrides ?? { containerOverrides: [] },
          ...(td.cpu !== undefined ? { cpu: td.cpu } : {}),
          ...(td.memory !== undefined ? { memory: td.memory } : {}),
        } as TaskRecord);
      }
      for (const t of tasks) controller.runTask(t);
      return { tasks: tasks.map((t) => taskView(st().tasks[t.id] ?? t, withTags(['TAGS']))), failures: [] };
    },

    ListTasks(input) {
      const cluster = getCluster(st(), input?.cluster);
      const desired = input?.desiredStatus ?? 'RUNNING';
      if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desired)) throw invalid('desiredStatus must be RUNNING, PENDING or STOPPED.');
      if (input?.startedBy !== undefined && (input.serviceName !== undefined || input.family !== undefined))
        throw invalid('startedBy cannot be combined with serviceName or family.');
      let serviceKey: string | undefined;
      if (input?.serviceName !== undefined) serviceKey = `${cluster.name}/${getService(st(), cluster, input.serviceName).serviceName}`;
      const tasks = Object.values(st().tasks)
        .filter((t) => t.clusterName === cluster.name)
        // ECS never sets desiredStatus PENDING: asking for it lists nothing (§4).
        .filter((t) => desired !== 'PENDING' && t.desiredStatus === desired)
        .filter((t) => !serviceKey || t._service === serviceKey)
        .filter((t) => !input?.family || t.taskDefinitionArn.includes(`:task-definition/${input.family}:`))
        .filter((t) => !input?.startedBy || t.startedBy === input.startedBy)
        .filter((t) => !input?.launchType || t.launchType === input.launchType)
        .sort((a, b) => a.createdAt - b.createdAt)
        .map((t) => t.taskArn);
      const { page, nextToken } = paginate(tasks, input?.maxResults, input?.nextToken);
      return { taskArns: page, ...(nextToken ? { nextToken } : {}) };
    },

    DescribeTasks(input) {
      const cluster = getCluster(st(), input?.cluster);
      const refs = input?.tasks;
      if (!Array.isArray(refs) || refs.length === 0) throw invalid('tasks must be a non-empty list.');
      if (refs.length > 100) throw invalid('tasks can have at most 100 items.');
      const tasks = [];
      const failures = [];
      for (const ref of refs) {
        const t = st().tasks[lastSegment(String(ref))];
        if (t && t.clusterName === cluster.name) tasks.push(taskView(t, withTags(input.include)));
        else failures.push({ arn: String(ref).startsWith('arn:') ? ref : arns.task(cluster.name, String(ref)), reason: 'MISSING' });
      }
      return { tasks, failures };
    },

    StopTask(input) {
      const cluster = getCluster(st(), input?.cluster);
      if (typeof input?.task !== 'string') throw invalid('task must be specified.');
      const t = st().tasks[lastSegment(input.task)];
      if (!t || t.clusterName !== cluster.name) throw invalid('The referenced task was not found.');
      if (isLive(t)) controller.stopTask(t.id, 'UserInitiated', typeof input.reason === 'string' && input.reason ? input.reason : 'Task stopped by user');
      return { task: taskView(st().tasks[t.id], false) };
    },
  };
}
