import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CONSOLE_STATE_PATH, consolePage } from './page.ts';

test('the console page is self-contained: inline style and script, nothing loaded from elsewhere', () => {
  const page = consolePage();
  assert.is(page.status, 200);
  assert.is(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.headers['content-security-policy'], /default-src 'none'/);
  assert.match(page.headers['content-security-policy'], /connect-src 'self'/);
  assert.not.match(page.body, /<(link|img|iframe)\b/i);
  assert.not.match(page.body, /<script[^>]*\bsrc=/i);
  assert.not.match(page.body, /@import|url\(/);
  assert.ok(page.body.includes(JSON.stringify(CONSOLE_STATE_PATH)), 'the script polls the state route');
});

test('the script writes values as text, never as markup', () => {
  assert.not.match(consolePage().body, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
});

test.run();
