/**
 * The sandbox's CloudWatch Logs part: the subset ferry uses (CreateLogGroup, DescribeLogGroups,
 * PutRetentionPolicy, CreateLogStream, DescribeLogStreams, GetLogEvents, FilterLogEvents) over a
 * persisted state (`<dataDir>/state/logs.json`), fed by the ECS task runner with each awslogs
 * container's stdout/stderr lines. Streams outlive their containers and sandbox restarts; each
 * stream keeps its newest MAX_EVENTS_PER_STREAM events. Shapes: AWS's service models, logs
 * (service-2.json); X-Amz-Target `Logs_20140328.<Operation>`.
 */
import type { SandboxContext, SandboxService } from '../context.ts';
import { AwsError } from '../context.ts';
import { bufferedStore, flushAfterEach } from '../state.ts';

export const MAX_EVENTS_PER_STREAM = 2000;
const FLUSH_MS = 500;

interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}
interface StreamRecord {
  name: string;
  creationTime: number;
  events: LogEvent[];
}
interface GroupRecord {
  name: string;
  creationTime: number;
  retentionInDays?: number;
  streams: Record<string, StreamRecord>;
}
export interface LogsState {
  groups: Record<string, GroupRecord>;
}

/** What the ECS task runner writes to: awslogs as the sandbox's containers see it. */
export interface LogSink {
  groupExists(group: string): boolean;
  /** CreateLogGroup as `awslogs-create-group: true` does it (no error when it exists). */
  ensureGroup(group: string): void;
  /** Creates the stream when missing and appends one event. */
  put(group: string, stream: string, message: string, timestamp?: number): void;
}

const GROUP_NAME = /^[\.\-_/#A-Za-z0-9]{1,512}$/;
// PutRetentionPolicy's retentionInDays values (service-2.json, Days).
const RETENTION = new Set([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]);

export function createLogsService(ctx: Pick<SandboxContext, 'state' | 'region' | 'accountId'>): SandboxService & { sink: LogSink } {
  const store = bufferedStore(ctx.state<LogsState>('logs', { groups: {} }));
  const state = () => store.get();
  let timer: NodeJS.Timeout | undefined;
  const arn = (g: string) => `arn:aws:logs:${ctx.region}:${ctx.accountId}:log-group:${g}`;
  const group = (name: unknown): GroupRecord => {
    const g = typeof name === 'string' ? state().groups[name] : undefined;
    if (!g) throw new AwsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return g;
  };
  const stream = (g: GroupRecord, name: unknown): StreamRecord => {
    const s = typeof name === 'string' ? g.streams[name] : undefined;
    if (!s) throw new AwsError('ResourceNotFoundException', 'The specified log stream does not exist.');
    return s;
  };
  const groupView = (g: GroupRecord) => ({
    logGroupName: g.name,
    creationTime: g.creationTime,
    ...(g.retentionInDays !== undefined && { retentionInDays: g.retentionInDays }),
    metricFilterCount: 0,
    arn: `${arn(g.name)}:*`,
    logGroupArn: arn(g.name),
    storedBytes: Object.values(g.streams).reduce((n, s) => n + s.events.reduce((m, e) => m + e.message.length, 0), 0),
    logGroupClass: 'STANDARD',
  });
  const streamView = (g: GroupRecord, s: StreamRecord) => ({
    logStreamName: s.name,
    creationTime: s.creationTime,
    ...(s.events.length && { firstEventTimestamp: s.events[0].timestamp, lastEventTimestamp: s.events[s.events.length - 1].timestamp, lastIngestionTime: s.events[s.events.length - 1].ingestionTime }),
    arn: `${arn(g.name)}:log-stream:${s.name}`,
    storedBytes: 0,
  });
  const eventView = (e: LogEvent) => ({ timestamp: e.timestamp, message: e.message, ingestionTime: e.ingestionTime });
  const createGroup = (name: string, failIfExists: boolean) => {
    if (!GROUP_NAME.test(name)) throw new AwsError('InvalidParameterException', `1 validation error detected: Value '${name}' at 'logGroupName' failed to satisfy constraint`);
    if (state().groups[name]) {
      if (failIfExists) throw new AwsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      return;
    }
    store.update((s) => (s.groups[name] = { name, creationTime: Date.now(), streams: {} }));
  };
  const createStream = (g: GroupRecord, name: string) => {
    if (!g.streams[name]) store.update(() => (g.streams[name] = { name, creationTime: Date.now(), events: [] }));
    return g.streams[name];
  };
  const page = <T>(items: T[], input: { nextToken?: unknown; limit?: unknown }, max: number) => {
    const start = Number(input.nextToken ?? 0) || 0;
    const limit = Math.min(Number(input.limit ?? max) || max, max);
    const slice = items.slice(start, start + limit);
    return { slice, ...(start + limit < items.length && { nextToken: String(start + limit) }) };
  };

  const sink: LogSink = {
    groupExists: (name) => !!state().groups[name],
    ensureGroup: (name) => createGroup(name, false),
    put(groupName, streamName, message, timestamp = Date.now()) {
      const g = state().groups[groupName];
      if (!g) return;
      const s = createStream(g, streamName);
      s.events.push({ timestamp, message, ingestionTime: Date.now() });
      if (s.events.length > MAX_EVENTS_PER_STREAM) s.events.splice(0, s.events.length - MAX_EVENTS_PER_STREAM);
      store.markDirty();
    },
  };

  const handlers: SandboxService['handlers'] = {
    CreateLogGroup: (i) => {
      createGroup(String(i.logGroupName ?? ''), true);
      return {};
    },
    PutRetentionPolicy: (i) => {
      const g = group(i.logGroupName);
      if (!RETENTION.has(Number(i.retentionInDays))) throw new AwsError('InvalidParameterException', `1 validation error detected: Value '${i.retentionInDays}' at 'retentionInDays' failed to satisfy constraint`);
      store.update(() => (g.retentionInDays = Number(i.retentionInDays)));
      return {};
    },
    DescribeLogGroups: (i) => {
      const prefix = typeof i.logGroupNamePrefix === 'string' ? i.logGroupNamePrefix : '';
      const all = Object.values(state().groups).filter((g) => g.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
      const { slice, nextToken } = page(all, i, 50);
      return { logGroups: slice.map(groupView), ...(nextToken && { nextToken }) };
    },
    CreateLogStream: (i) => {
      const g = group(i.logGroupName);
      const name = String(i.logStreamName ?? '');
      if (g.streams[name]) throw new AwsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      createStream(g, name);
      return {};
    },
    DescribeLogStreams: (i) => {
      const g = group(i.logGroupName);
      const prefix = typeof i.logStreamNamePrefix === 'string' ? i.logStreamNamePrefix : '';
      let all = Object.values(g.streams).filter((s) => s.name.startsWith(prefix));
      const last = (s: StreamRecord) => s.events[s.events.length - 1]?.timestamp ?? s.creationTime;
      all = i.orderBy === 'LastEventTime' ? all.sort((a, b) => last(a) - last(b)) : all.sort((a, b) => a.name.localeCompare(b.name));
      if (i.descending === true) all.reverse();
      const { slice, nextToken } = page(all, i, 50);
      return { logStreams: slice.map((s) => streamView(g, s)), ...(nextToken && { nextToken }) };
    },
    GetLogEvents: (i) => {
      const s = stream(group(i.logGroupName), i.logStreamName);
      const start = Number(i.startTime ?? 0) || 0;
      const end = i.endTime === undefined ? Infinity : Number(i.endTime);
      const limit = Math.min(Number(i.limit ?? 10_000) || 10_000, 10_000);
      // A forward token `f/<n>` (from an earlier answer) reads on from the stream's n-th event, the
      // way a follower tails a stream: the same token comes back while nothing new arrived.
      const forward = typeof i.nextToken === 'string' ? /^f\/(\d+)$/.exec(i.nextToken) : null;
      if (typeof i.nextToken === 'string' && !forward && !/^b\/\d+$/.test(i.nextToken)) throw new AwsError('InvalidParameterException', 'The specified nextToken is invalid.');
      const from = forward ? Math.min(Number(forward[1]), s.events.length) : 0;
      const head = forward !== null || i.startFromHead === true;
      const rest = s.events.slice(from);
      const inRange = rest.filter((e) => e.timestamp >= start && e.timestamp < end);
      // Without a token, startFromHead false (the default) answers with the newest events
      // (service-2.json, GetLogEventsRequest.startFromHead); either way in ascending order.
      const events = head ? inRange.slice(0, limit) : inRange.slice(-limit);
      const next = head && events.length ? from + rest.indexOf(events[events.length - 1]) + 1 : s.events.length;
      return { events: events.map(eventView), nextForwardToken: `f/${next}`, nextBackwardToken: 'b/0' };
    },
    FilterLogEvents: (i) => {
      const g = group(i.logGroupName);
      const names = Array.isArray(i.logStreamNames) ? (i.logStreamNames as string[]) : undefined;
      const prefix = typeof i.logStreamNamePrefix === 'string' ? i.logStreamNamePrefix : '';
      const start = Number(i.startTime ?? 0) || 0;
      const end = i.endTime === undefined ? Infinity : Number(i.endTime);
      // Plain terms only: every term must occur (a subset of the filter pattern syntax).
      const terms = typeof i.filterPattern === 'string' ? i.filterPattern.split(/\s+/).filter(Boolean).map((t: string) => t.replace(/^"|"$/g, '')) : [];
      const events = Object.values(g.streams)
        .filter((s) => (names ? names.includes(s.name) : s.name.startsWith(prefix)))
        .flatMap((s) => s.events.filter((e) => e.timestamp >= start && e.timestamp < end && terms.every((t: string) => e.message.includes(t))).map((e) => ({ logStreamName: s.name, eventId: `${s.name}/${e.timestamp}/${e.ingestionTime}`, ...eventView(e) })))
        .sort((a, b) => a.timestamp - b.timestamp);
      const { slice, nextToken } = page(events, i, 10_000);
      return { events: slice, searchedLogStreams: [], ...(nextToken && { nextToken }) };
    },
  };
  flushAfterEach(handlers, store);
  return {
    handlers,
    sink,
    async start() {
      timer = setInterval(() => store.flush(), FLUSH_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      store.flush();
    },
  };
}
