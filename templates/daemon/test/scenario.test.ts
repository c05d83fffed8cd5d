// scenarios/daemon.scs (Scansion's format, with the sandbox's [Queue] characters) through the
// sandbox package's CLI, `xmpp-sandbox test --server … --redis …`, against a sandbox of its
// own (or the servers XMPP_SERVICE and REDIS_URL name) while the daemon runs on the
// scenario's job list.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { startSandbox } from 'xmpp-sandbox';
import { configFromEnv } from '../src/config.js';
import { Supervisor } from '../src/supervisor.js';

test('scenarios/daemon.scs passes against a running daemon', async () => {
  const fromEnv = configFromEnv(process.env);
  const sandbox = process.env.XMPP_SERVICE ? null : await startSandbox({ domain: fromEnv.domain });
  const e = sandbox?.endpoints;
  const jobList = '{{name}}:scenario:jobs';
  const config = { ...fromEnv, ...(e && { service: e.c2s, domain: e.domain, password: e.password, redisUrl: e.queue! }), jobList, deadLetters: `${jobList}:dead`, workers: 1 };
  const daemon = new Supervisor(config, () => {});
  const redis = new Redis(config.redisUrl);
  try {
    await daemon.start();
    // `npx xmpp-sandbox test scenarios/`: the sandbox package's scenario runner, as in CI (exit 1 on a failed step).
    const target = ['--server', config.service, '--domain', config.domain, '--redis', config.redisUrl];
    const r = await promisify(execFile)('npx', ['xmpp-sandbox', 'test', 'scenarios/', '--timeout', '15000', ...target], { shell: process.platform === 'win32' })
      .catch((err: { message: string; stdout?: string }) => assert.fail(`${err.message}\n${err.stdout ?? ''}`));
    assert.match(r.stdout, /^1 passed, 0 failed$/m, r.stdout);
    assert.equal(await redis.llen(config.deadLetters), 0, 'the job was not refused');
  } finally {
    await daemon.stop();
    const keys = await redis.keys(`${jobList}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await sandbox?.stop();
  }
});
