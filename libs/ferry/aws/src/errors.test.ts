import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FerryError } from '@ferry/core';
import { awsErrorMessage, isAuthError, isConnectionError, isNotFound, isThrottling, toFerryError } from './errors.ts';

/** An error shaped like the SDK's ServiceException: the AWS code is the name. */
function awsError(name: string, message = 'boom', status = 400): Error {
  const e = new Error(message);
  e.name = name;
  Object.assign(e, { $metadata: { httpStatusCode: status } });
  return e;
}
const withCode = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:4566`), { code });

const cases: Array<[string, unknown, { notFound: boolean; throttling: boolean; connection: boolean; auth: boolean }]> = [
  ['RepositoryNotFoundException', awsError('RepositoryNotFoundException'), { notFound: true, throttling: false, connection: false, auth: false }],
  ['ImageNotFoundException', awsError('ImageNotFoundException'), { notFound: true, throttling: false, connection: false, auth: false }],
  ['ServiceNotFoundException', awsError('ServiceNotFoundException'), { notFound: true, throttling: false, connection: false, auth: false }],
  ['LifecyclePolicyNotFoundException', awsError('LifecyclePolicyNotFoundException'), { notFound: true, throttling: false, connection: false, auth: false }],
  ['ThrottlingException', awsError('ThrottlingException'), { notFound: false, throttling: true, connection: false, auth: false }],
  ['TooManyRequestsException', awsError('TooManyRequestsException'), { notFound: false, throttling: true, connection: false, auth: false }],
  ['HTTP 429 with an odd name', awsError('Whatever', 'slow', 429), { notFound: false, throttling: true, connection: false, auth: false }],
  ['LimitExceededException is a quota, not throttling', awsError('LimitExceededException'), { notFound: false, throttling: false, connection: false, auth: false }],
  ['ECONNREFUSED', withCode('ECONNREFUSED'), { notFound: false, throttling: false, connection: true, auth: false }],
  ['ECONNREFUSED in an AggregateError', new AggregateError([withCode('ECONNREFUSED')], 'connect'), { notFound: false, throttling: false, connection: true, auth: false }],
  ['ECONNRESET as a cause', new Error('socket hang up', { cause: withCode('ECONNRESET') }), { notFound: false, throttling: false, connection: true, auth: false }],
  ['AccessDeniedException', awsError('AccessDeniedException'), { notFound: false, throttling: false, connection: false, auth: true }],
  ['ExpiredTokenException', awsError('ExpiredTokenException'), { notFound: false, throttling: false, connection: false, auth: true }],
  ['ClientException', awsError('ClientException'), { notFound: false, throttling: false, connection: false, auth: false }],
  ['a plain string', 'nope', { notFound: false, throttling: false, connection: false, auth: false }],
  ['null', null, { notFound: false, throttling: false, connection: false, auth: false }],
];

for (const [label, error, want] of cases) {
  test(`classifies ${label}`, () => {
    assert.equal(
      { notFound: isNotFound(error), throttling: isThrottling(error), connection: isConnectionError(error), auth: isAuthError(error) },
      want,
    );
  });
}

test('isNotFound with a specific name matches only that name', () => {
  assert.ok(isNotFound(awsError('ImageNotFoundException'), 'ImageNotFoundException'));
  assert.not.ok(isNotFound(awsError('RepositoryNotFoundException'), 'ImageNotFoundException'));
});

test('awsErrorMessage names the attempt and the code once', () => {
  assert.is(awsErrorMessage(awsError('InvalidParameterException', 'bad name'), 'create ECR repository api'), 'failed to create ECR repository api: InvalidParameterException: bad name');
  assert.is(awsErrorMessage(new Error('plain'), 'x'), 'failed to x: plain');
  assert.is(awsErrorMessage(awsError('Boom', 'Boom: already prefixed'), 'x'), 'failed to x: Boom: already prefixed');
});

test('toFerryError keeps FerryErrors and maps auth errors to AWS_CREDENTIALS', () => {
  const original = new FerryError('DOCKER_UNAVAILABLE', 'x');
  assert.is(toFerryError(original, 'y'), original);
  assert.is(toFerryError(awsError('AccessDeniedException', 'no'), 'describe images').code, 'AWS_CREDENTIALS');
  const wrapped = toFerryError(awsError('ServerException', 'oops', 500), 'describe images');
  assert.is(wrapped.code, 'AWS_ERROR');
  assert.match(wrapped.message, /failed to describe images: ServerException: oops/);
  assert.not.match(wrapped.message, /maxParallel/);
});

test('throttling that outlasted the retries names the next step: fewer apps at once', () => {
  const e = toFerryError(awsError('ThrottlingException', 'Rate exceeded', 400), 'update service api');
  assert.is(e.code, 'AWS_ERROR');
  assert.match(e.message, /failed to update service api: ThrottlingException: Rate exceeded/);
  assert.match(e.message, /maxParallel.*FERRY_MAX_PARALLEL/);
});

test.run();
