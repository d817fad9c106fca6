/**
 * CloudWatch Logs as ferry uses it: a narrow port over CloudWatchLogsClient. deploy-app makes sure
 * the app's log group exists with its retention before registering a revision that logs to it;
 * failure reports read the last lines of a stopped task's stream.
 */
import {
  CreateLogGroupCommand,
  GetLogEventsCommand,
  PutRetentionPolicyCommand,
  type CloudWatchLogsClient,
} from '@aws-sdk/client-cloudwatch-logs';
import { attempt, awsErrorName } from './errors.ts';

/** One log event: its time (epoch ms) and text. */
export interface LogLine {
  timestamp: number;
  message: string;
}

/** The CloudWatch Logs calls ferry makes. Implemented over CloudWatchLogsClient by `logsPort`; tests may pass a fake. */
export interface LogsPort {
  /**
   * CreateLogGroup, then PutRetentionPolicy. Idempotent: a group that already exists is fine
   * (ResourceAlreadyExistsException) and gets the retention too. `created`: whether it was new.
   */
  ensureLogGroup(name: string, retentionDays: number): Promise<{ created: boolean }>;
  /** The last `limit` events of a stream, oldest first; [] when the stream (or group) does not exist. */
  lastEvents(group: string, stream: string, limit: number): Promise<LogLine[]>;
}

export function logsPort(client: CloudWatchLogsClient): LogsPort {
  return {
    async ensureLogGroup(name, retentionDays) {
      let created = true;
      await attempt(`create the CloudWatch Logs group ${name} (logs:CreateLogGroup)`, async () => {
        try {
          await client.send(new CreateLogGroupCommand({ logGroupName: name }));
        } catch (e) {
          if (awsErrorName(e) !== 'ResourceAlreadyExistsException') throw e;
          created = false;
        }
      });
      await attempt(`set the retention of the CloudWatch Logs group ${name} to ${retentionDays} days (logs:PutRetentionPolicy)`, () =>
        client.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: retentionDays })),
      );
      return { created };
    },
    async lastEvents(group, stream, limit) {
      return attempt(`read the log stream ${stream} of ${group} (logs:GetLogEvents)`, async () => {
        try {
          // Without a start time and startFromHead false, GetLogEvents answers with the newest events
          // (service-2.json, GetLogEventsRequest.startFromHead), still in ascending time order.
          const r = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, limit, startFromHead: false }));
          return (r.events ?? []).map((e) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? '' }));
        } catch (e) {
          if (awsErrorName(e) === 'ResourceNotFoundException') return [];
          throw e;
        }
      });
    },
  };
}
