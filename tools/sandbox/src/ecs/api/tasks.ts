/**
 * Tasks: ListTasks, DescribeTasks, StopTask. Service tasks are started by the controller; StopTask
 * hands the stop to it (stopCode UserInitiated).
 */
import type { Operations } from '../../operations.ts';
import { isLive, taskView } from '../views.ts';
import { type ApiDeps, getCluster, getService, invalid, lastSegment, paginate, withTags } from './common.ts';

/** The task operations. */
export function taskOperations({ store, arns, controller }: ApiDeps): Operations {
  const st = () => store.get();
  return {
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
