// Table tests: a one-off task's --command as a POSIX shell would split it (without running one), or a JSON array.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatCommandLine, parseCommandOption, splitCommandLine } from './command-line.ts';
import { FerryError } from './errors.ts';

const splits: [string, string[]][] = [
  ['node dist/migrate.js', ['node', 'dist/migrate.js']],
  [`node -e "console.log(\\"hello from a task\\"); process.exit(4)"`, ['node', '-e', 'console.log("hello from a task"); process.exit(4)']],
  [`sh -c 'echo $HOME && ls'`, ['sh', '-c', 'echo $HOME && ls']],
  ['echo $HOME', ['echo', '$HOME']],
  ['  spaced   out  ', ['spaced', 'out']],
  [`a\\ b "c d" ''`, ['a b', 'c d', '']],
  ['npm run migrate # up to date', ['npm', 'run', 'migrate']],
];
for (const [line, want] of splits) {
  test(`split: ${line}`, () => assert.equal(splitCommandLine(line), want));
}

const refused: [string, RegExp][] = [
  ['npm run a && npm run b', /shell operator "&&".*sh -c/],
  ['cat x | grep y', /shell operator "\|"/],
  ['node migrate.js > out.txt', /shell operator ">"/],
];
for (const [line, message] of refused) {
  test(`refused: ${line}`, () => assert.throws(() => splitCommandLine(line), (e: Error) => e instanceof FerryError && message.test(e.message)));
}

test('parseCommandOption: a JSON array as written, a command line split, both refuse empty', () => {
  assert.equal(parseCommandOption('["node", "-e", "process.exit(3)"]'), ['node', '-e', 'process.exit(3)']);
  assert.equal(parseCommandOption(`node -e 'process.exit(3)'`), ['node', '-e', 'process.exit(3)']);
  assert.throws(() => parseCommandOption('[1, 2]'), /array of strings/);
  assert.throws(() => parseCommandOption('[oops'), /not a JSON array/);
  assert.throws(() => parseCommandOption('   '), /empty/);
});

test('formatCommandLine reads back to the same arguments', () => {
  for (const args of [['node', '-e', 'console.log("x y"); process.exit(4)'], ['sh', '-c', "it's && $HOME"], ['plain', 'a=b', '']]) {
    assert.equal(splitCommandLine(formatCommandLine(args)), args);
  }
});

test.run();
