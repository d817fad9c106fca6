/**
 * CloudWatch Logs as ferry uses it: a narrow port over CloudWatchLogsClient. deploy-app makes sure
 * the app's log group exists with its retention before registering a revision that logs to it;
 * failure reports read the last lines of a stopped task's stream.
 */
import {
  CreateLogGroupCommand,
  FilterLogEventsCommand,
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
  /**
   * Tails a stream: the events after `nextToken` (from the head without one) and the token to read
   * on from; no events and the same token while nothing new arrived; [] while the stream does not exist yet.
   */
  readStream(group: string, stream: string, nextToken?: string): Promise<{ events: LogLine[]; nextToken?: string }>;
  /**
   * FilterLogEvents over the group's streams starting with `streamPrefix`, from `startTime` (epoch
   * ms), matching `pattern` (CloudWatch Logs filter syntax), oldest first, at most `limit` events (all pages).
   * A missing group answers [].
   */
  filterEvents(group: string, o: { streamPrefix?: string; startTime?: number; pattern?: string; limit?: number }): Promise<StreamLogLine[]>;
}

/** An event of FilterLogEvents: with its stream and id (the same event read twice has the same id). */
export interface StreamLogLine extends LogLine {
  stream: string;
  id: string;
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
    async readStream(group, stream, nextToken) {
      return attempt(`read the log stream ${stream} of ${group} (logs:GetLogEvents)`, async () => {
        try {
          const r = await client.send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true, ...(nextToken && { nextToken }) }));
          return { events: (r.events ?? []).map((e) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? '' })), nextToken: r.nextForwardToken ?? nextToken };
        } catch (e) {
          if (awsErrorName(e) === 'ResourceNotFoundException') return { events: [], nextToken };
          throw e;
        }
      });
    },
    async filterEvents(group, o) {
      return attempt(`read the log group ${group} (logs:FilterLogEvents)`, async () => {
        const out: StreamLogLine[] = [];
        const limit = o.limit ?? 10_000;
        let nextToken: string | undefined;
        try {
          do {
            const r = await client.send(
              new FilterLogEventsCommand({
                logGroupName: group,
                ...(o.streamPrefix && { logStreamNamePrefix: o.streamPrefix }),
                ...(o.startTime !== undefined && { startTime: o.startTime }),
                ...(o.pattern && { filterPattern: o.pattern }),
                nextToken,
              }),
            );
            for (const e of r.events ?? []) out.push({ timestamp: e.timestamp ?? 0, message: e.message ?? '', stream: e.logStreamName ?? '', id: e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}` });
            nextToken = r.nextToken;
          } while (nextToken && out.length < limit);
        } catch (e) {
          if (awsErrorName(e) === 'ResourceNotFoundException') return [];
          throw e;
        }
        return out.sort((a, b) => a.timestamp - b.timestamp).slice(-limit);
      });
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
