// scenarios/bridge.scs (Scansion's format, with the sandbox's [Queue] characters) through the
// sandbox package's CLI, `xmpp-sandbox test --server … --redis …`, against the servers these
// tests use (test/server.ts: a sandbox of their own, or XMPP_SERVICE and REDIS_URL) while the
// bridge runs on the scenario's lists.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { QueueBridge } from '../src/bridge.js';
import { testServers } from './server.js';

test('scenarios/bridge.scs passes against a running bridge', async () => {
  const servers = await testServers();
  const outbox = '{{name}}:scenario:outbox';
  const config = { ...servers.bridge, outbox, processing: `${outbox}:processing`, deadLetters: `${outbox}:dead`, replies: '{{name}}:scenario:inbox' };
  const bridge = new QueueBridge(config, () => {});
  const redis = new Redis(config.redisUrl);
  try {
    await bridge.start();
    // `npx xmpp-sandbox test scenarios/`: the sandbox package's scenario runner, as in CI (exit 1 on a failed step).
    const target = ['--server', servers.client.service, '--domain', servers.client.domain, '--redis', config.redisUrl];
    const r = await promisify(execFile)('npx', ['xmpp-sandbox', 'test', 'scenarios/', '--timeout', '15000', ...target], { shell: process.platform === 'win32' })
      .catch((err: { message: string; stdout?: string }) => assert.fail(`${err.message}\n${err.stdout ?? ''}`));
    assert.match(r.stdout, /^1 passed, 0 failed$/m, r.stdout);
    assert.deepEqual([bridge.stats.sent, bridge.stats.replies], [1, 1]);
  } finally {
    await bridge.stop();
    await redis.del(config.outbox, config.processing, config.deadLetters, config.replies);
    await redis.quit();
    await servers.stop();
  }
});
