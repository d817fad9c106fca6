import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseBuildFailure } from './build-output.ts';

// Captured from DOCKER_BUILDKIT=1 docker 20.10 build --progress=plain.
const buildkit20 = `#1 [internal] load build definition from Dockerfile
#1 sha256:a8c1f7cae0e2e6e2d45993b205591d6c2b8c05c415691f9aa9d6fc9097d7892d
#1 transferring dockerfile: 102B done
#1 DONE 0.0s

#6 [2/3] COPY a /a
#6 sha256:308c8ad91bed2963114ab9acc744ef7b31a884c30c74a9f21155653c67b327a2
#6 DONE 0.0s

#7 [3/3] RUN echo hello && echo oops >&2 && exit 3
#7 sha256:eee7484a47649b57fe7d65677074cca169d8502c9d9b59a11b6f25e880c3f268
#7 0.066 hello
#7 0.067 oops
#7 ERROR: executor failed running [/bin/sh -c echo hello && echo oops >&2 && exit 3]: exit code: 3
------
 > [3/3] RUN echo hello && echo oops >&2 && exit 3:
------
executor failed running [/bin/sh -c echo hello && echo oops >&2 && exit 3]: exit code: 3
`;

// The newer buildx wording.
const buildx = `#5 [2/2] RUN npm ci
#5 0.512 npm ERR! code ENOTFOUND
#5 0.513 npm ERR! network request failed
#5 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
------
 > [2/2] RUN npm ci:
0.512 npm ERR! code ENOTFOUND
------
Dockerfile:2
ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
`;

const buildkitCopy = `#4 [2/2] COPY dist/ /app/
#4 ERROR: failed to calculate checksum of ref abc::def: "/dist": not found
------
 > [2/2] COPY dist/ /app/:
------
failed to compute cache key: "/dist" not found: not found
`;

// Captured from docker 28 (legacy builder).
const legacy = `DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
            Install the buildx component to build images with BuildKit:
            https://docs.docker.com/go/buildx/

Sending build context to Docker daemon  3.072kB
Step 1/3 : FROM ferry-sandbox/node:20
 ---> eff43498447c
Step 2/3 : COPY a /a
 ---> 62518cf4ab0b
Step 3/3 : RUN echo hello && echo oops >&2 && exit 3
 ---> Running in b4ee2b6d4094
oops
hello
The command '/bin/sh -c echo hello && echo oops >&2 && exit 3' returned a non-zero code: 3
`;

const legacyCopy = `Sending build context to Docker daemon  2.048kB
Step 1/3 : FROM ferry-sandbox/node:20
 ---> eff43498447c
Step 2/3 : COPY dist/ /app/
COPY failed: file not found in build context or excluded by .dockerignore: stat dist/: file does not exist
`;

const cases: Array<[string, string, { step?: string; error: RegExp; output: string[] }]> = [
  ['BuildKit 20.10 RUN failure', buildkit20, { step: '[3/3] RUN echo hello && echo oops >&2 && exit 3', error: /exit code: 3/, output: ['hello', 'oops'] }],
  ['buildx RUN failure', buildx, { step: '[2/2] RUN npm ci', error: /did not complete successfully: exit code: 1/, output: ['npm ERR! code ENOTFOUND', 'npm ERR! network request failed'] }],
  ['BuildKit COPY of a missing path', buildkitCopy, { step: '[2/2] COPY dist/ /app/', error: /"\/dist": not found/, output: [] }],
  ['legacy RUN failure', legacy, { step: 'Step 3/3 : RUN echo hello && echo oops >&2 && exit 3', error: /returned a non-zero code: 3/, output: ['oops', 'hello'] }],
  ['legacy COPY failure', legacyCopy, { step: 'Step 2/3 : COPY dist/ /app/', error: /^COPY failed: file not found/, output: [] }],
];
for (const [label, text, want] of cases) {
  test(`parseBuildFailure: ${label}`, () => {
    const f = parseBuildFailure(text);
    assert.is(f.step, want.step);
    assert.match(f.error, want.error);
    assert.equal(f.output, want.output);
  });
}

test('parseBuildFailure: no recognisable step still gives the last error line', () => {
  const f = parseBuildFailure('unable to prepare context: path "/nope" not found\n');
  assert.is(f.step, undefined);
  assert.match(f.error, /unable to prepare context/);
});

test('parseBuildFailure keeps only the last lines of a long step', () => {
  const lines = Array.from({ length: 40 }, (_, i) => `#9 ${i}.0 line ${i}`);
  const f = parseBuildFailure(['#9 [2/2] RUN make', ...lines, '#9 ERROR: exit code: 2'].join('\n'), 5);
  assert.equal(f.output, ['line 35', 'line 36', 'line 37', 'line 38', 'line 39']);
});

test.run();
