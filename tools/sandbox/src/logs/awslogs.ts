/**
 * awslogs as the sandbox's task runner applies it: which containers log where (stream
 * `<prefix>/<container>/<task id>`, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html),
 * and the launch check ECS makes: a missing group without `awslogs-create-group: "true"` stops the
 * task before it starts with "ResourceInitializationError: failed to validate logger args: …
 * ResourceNotFoundException: The specified log group does not exist." (AWS re:Post knowledge
 * center, https://repost.aws/knowledge-center/ecs-resource-initialization-error).
 */
import type { LogSink } from './index.ts';

export interface AwslogsTarget {
  container: string;
  group: string;
  stream: string;
}

interface ContainerLike {
  name: string;
  logConfiguration?: { logDriver?: string; options?: Record<string, string> };
}

/** The awslogs destinations of a task's containers (without a prefix: the task id stands in for the container id). */
export function awslogsTargets(containers: ContainerLike[], taskId: string): AwslogsTarget[] {
  return containers.flatMap((c) => {
    const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
    if (!o?.['awslogs-group']) return [];
    const prefix = o['awslogs-stream-prefix'];
    return [{ container: c.name, group: o['awslogs-group'], stream: prefix ? `${prefix}/${c.name}/${taskId}` : taskId }];
  });
}

/** Thrown before any container starts when a group is missing; the message is ECS's stoppedReason. */
export class LoggerInitError extends Error {}

/** Creates groups marked awslogs-create-group "true"; throws LoggerInitError for any other missing group. */
export function checkAwslogsGroups(containers: ContainerLike[], sink: LogSink): void {
  for (const c of containers) {
    const o = c.logConfiguration?.logDriver === 'awslogs' ? c.logConfiguration.options : undefined;
    const group = o?.['awslogs-group'];
    if (!group || sink.groupExists(group)) continue;
    if (o['awslogs-create-group'] === 'true') sink.ensureGroup(group);
    else
      throw new LoggerInitError(
        `ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. : exit status 1`,
      );
  }
}
