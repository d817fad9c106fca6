/**
 * The sandbox's STS: GetCallerIdentity only, so ferry's account check (libs/ferry/aws/src/identity.ts)
 * runs against the sandbox as against AWS. STS speaks the AWS Query protocol: a form-encoded POST
 * (`Action=GetCallerIdentity&Version=2011-06-15`, no X-Amz-Target) answered in XML. Shapes:
 * AWS's service models, sts (service-2.json, GetCallerIdentityResponse: UserId, Account, Arn);
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
import { randomUUID } from 'node:crypto';
import type { WireResponse } from './protocol.ts';

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The answer to a Query-protocol STS request, or undefined when the body is not one. */
export function stsQuery(body: string, accountId: string): WireResponse | undefined {
  const form = new URLSearchParams(body);
  const action = form.get('Action');
  if (!action || (form.get('Version') ?? '2011-06-15') !== '2011-06-15') return undefined;
  const requestId = randomUUID();
  const headers = { 'content-type': 'text/xml', 'x-amzn-requestid': requestId };
  if (action !== 'GetCallerIdentity') {
    const error = `<ErrorResponse xmlns="${NS}"><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>${xml(`The ferry sandbox's STS supports GetCallerIdentity only, not ${action}`)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status: 400, headers, body: error };
  }
  const result = `<Arn>arn:aws:iam::${accountId}:root</Arn><UserId>${accountId}</UserId><Account>${accountId}</Account>`;
  return { status: 200, headers, body: `<GetCallerIdentityResponse xmlns="${NS}"><GetCallerIdentityResult>${result}</GetCallerIdentityResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></GetCallerIdentityResponse>` };
}
