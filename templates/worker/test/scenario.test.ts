// scenarios/worker.scs (Scansion's format) through the sandbox package's CLI, `xmpp-sandbox
// test --server …`, against the server these tests use (test/server.ts: a sandbox of their
// own, or XMPP_SERVICE) while a worker instance is online: the way to check a deployment too.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Worker } from '../src/worker.js';
import { testServer } from './server.js';

test('scenarios/worker.scs passes against a running worker', async () => {
  const server = await testServer();
  const worker = new Worker({ ...server.worker, resource: 'scenario' }, () => {});
  try {
    await worker.start();
    // `npx xmpp-sandbox test scenarios/`: the sandbox package's scenario runner, as in CI (exit 1 on a failed step).
    const target = ['--server', server.worker.service, '--domain', server.worker.domain];
    const r = await promisify(execFile)('npx', ['xmpp-sandbox', 'test', 'scenarios/', '--timeout', '15000', ...target], { shell: process.platform === 'win32' })
      .catch((err: { message: string; stdout?: string }) => assert.fail(`${err.message}\n${err.stdout ?? ''}`));
    assert.match(r.stdout, /^1 passed, 0 failed$/m, r.stdout);
    assert.equal(worker.stats.done, 1, 'the job of the scenario ran on this worker');
  } finally {
    await worker.stop();
    await server.stop();
  }
});
