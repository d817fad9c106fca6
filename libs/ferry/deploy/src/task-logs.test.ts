import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { EcsTask } from '@ferry/aws';
import { cleanLogLine, formatTaskLogs, tasksToRead } from './task-logs.ts';

const lines: [string, string, number, string][] = [
  ['plain line, trailing newline dropped', 'listening on 3000\n', 300, 'listening on 3000'],
  ['cut to the limit', 'x'.repeat(50), 10, `${'x'.repeat(9)}…`],
  ['secrets masked', 'DB password=hunter2secret connecting', 300, 'DB password=*** connecting'],
  ['colour codes and control characters dropped', '\u001b[31merror\u001b[0m\u0007 boom', 300, 'error boom'],
];
for (const [name, input, max, want] of lines) test(`cleanLogLine: ${name}`, () => assert.is(cleanLogLine(input, max), want));

test('formatTaskLogs: a heading per stream, lines indented; an empty stream says so', () => {
  assert.equal(
    formatTaskLogs([
      { taskId: 'abc', container: 'api', group: '/g', stream: 'api/api/abc', lines: ['boom'] },
      { taskId: 'def', container: 'api', group: '/g', stream: 'api/api/def', lines: [] },
    ]),
    ['logs of task abc (api), last 1 line of /g api/api/abc:', '  | boom', 'logs of task def (api): nothing in /g api/api/def'],
  );
});

test('tasksToRead: failed tasks before scheduler stops, newest first, bounded', () => {
  const t = (id: string, stoppedAt: number, stopCode = 'EssentialContainerExited') => ({ taskArn: `arn:task/c/${id}`, stoppedAt: new Date(stoppedAt), stopCode }) as EcsTask;
  const picked = tasksToRead([t('old', 1), t('sched', 9, 'ServiceSchedulerInitiated'), t('new', 5), t('mid', 3)], 2);
  assert.equal(picked.map((x) => x.taskArn), ['arn:task/c/new', 'arn:task/c/mid']);
});

test.run();
