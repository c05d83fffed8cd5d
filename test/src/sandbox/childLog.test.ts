import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type * as vscode from 'vscode';
import { lastProblemLine, writeChildLine } from '../../../src/sandbox/childLog';

test("the child's level is kept and its timestamp dropped", () => {
  const got: string[] = [];
  const channel = {
    error: (m: string) => got.push(`error:${m}`),
    warn: (m: string) => got.push(`warn:${m}`),
    info: (m: string) => got.push(`info:${m}`),
    debug: (m: string) => got.push(`debug:${m}`),
  } as unknown as vscode.LogOutputChannel;
  writeChildLine(channel, '2026-11-22T16:11:54.355Z info  [queue] listening');
  writeChildLine(channel, '2026-11-22T16:11:54.355Z error boom');
  writeChildLine(channel, '2026-11-22T16:11:54.355Z debug x');
  writeChildLine(channel, 'a plain line');
  assert.deepEqual(got, ['info:[queue] listening', 'error:boom', 'debug:x', 'info:a plain line']);
});

test('the notification line: the last error, else the last warning, else nothing', () => {
  const info = ['2026-11-22T17:28:28.607Z info [xmpp:stream] comp-1: component connected', '2026-11-22T17:28:28.611Z info sandbox running'];
  assert.equal(lastProblemLine(info), undefined, 'info lines say nothing worth a notification');
  assert.equal(lastProblemLine(['2026-11-22T17:28:28.600Z warn  [queue] slow fsync', ...info]), '[queue] slow fsync');
  assert.equal(
    lastProblemLine(['2026-11-22T17:28:28.600Z error [plugins] boom.ts: SyntaxError', '2026-11-22T17:28:28.601Z warn  later warning', ...info]),
    '[plugins] boom.ts: SyntaxError',
    'an error wins over a later warning',
  );
  const uncaught = ['/x/dist/sandbox.js:12', "    throw new Error('boom');", '    ^', '', 'Error: boom', '    at main (/x/dist/sandbox.js:12:11)', '    at node:internal/main:1:1', '', 'Node.js v24.21.0'];
  assert.equal(lastProblemLine([...info, ...uncaught]), 'Error: boom', "an uncaught exception on stderr: its message, not the stack or Node's version");
});
