import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { AwsError } from './context.ts';
import { errorResponse, parseBody, parseTarget } from './protocol.ts';

test('parseTarget routes by X-Amz-Target prefix', () => {
  assert.equal(parseTarget('AmazonEC2ContainerServiceV20141113.DescribeServices'), { api: 'ecs', operation: 'DescribeServices' });
  assert.equal(parseTarget('AmazonEC2ContainerRegistry_V20150921.PutImage'), { api: 'ecr', operation: 'PutImage' });
  for (const bad of [undefined, '', 'DescribeServices', 'AmazonEC2ContainerServiceV20141113.', 'Other_V1.DescribeServices', 'AmazonEC2ContainerServiceV20141113.Describe-Services']) {
    assert.is(parseTarget(bad), undefined, String(bad));
  }
});

test('errorResponse: AwsError keeps type, status, message; header carries the type', () => {
  const r = errorResponse(new AwsError('ImageNotFoundException', 'nope'), 'rid');
  assert.is(r.status, 400);
  assert.equal(JSON.parse(r.body), { __type: 'ImageNotFoundException', message: 'nope' });
  assert.is(r.headers['x-amzn-errortype'], 'ImageNotFoundException');
  assert.is(r.headers['x-amzn-requestid'], 'rid');
  assert.is(r.headers['content-type'], 'application/x-amz-json-1.1');
});

test('errorResponse: anything else is a 500 ServerException', () => {
  const r = errorResponse(new TypeError('boom'));
  assert.is(r.status, 500);
  assert.equal(JSON.parse(r.body).__type, 'ServerException');
  assert.match(JSON.parse(r.body).message, /boom/);
});

test('parseBody: empty is {}, malformed or non-object is SerializationException', () => {
  assert.equal(parseBody(''), {});
  assert.equal(parseBody('{"a":1}'), { a: 1 });
  for (const bad of ['{', '[]', '1', 'null']) {
    try {
      parseBody(bad);
      assert.unreachable(bad);
    } catch (err) {
      assert.is((err as AwsError).type, 'SerializationException', bad);
    }
  }
});

test.run();
