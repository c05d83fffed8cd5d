// scenarios/block-words.scs (Scansion's format) through the sandbox package's CLI,
// `xmpp-sandbox test --server …`, against a sandbox with this project's dist/plugins loaded
// (or, with XMPP_SERVICE set, the sandbox you started with `npm start`).

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSandbox } from 'xmpp-sandbox';

test('scenarios/block-words.scs passes against a sandbox with the plugins loaded', async () => {
  const env = process.env;
  const sandbox = env.XMPP_SERVICE ? null : await startSandbox({ config: { xmpp: { pluginDir: fileURLToPath(new URL('../plugins', import.meta.url)) } } });
  const service = sandbox?.endpoints.c2s ?? env.XMPP_SERVICE!;
  const domain = sandbox?.endpoints.domain ?? (env.XMPP_DOMAIN || 'localhost');
  try {
    // `npx xmpp-sandbox test scenarios/`: the sandbox package's scenario runner, as in CI (exit 1 on a failed step).
    const target = ['--server', service, '--domain', domain];
    const r = await promisify(execFile)('npx', ['xmpp-sandbox', 'test', 'scenarios/', '--timeout', '15000', ...target], { shell: process.platform === 'win32' })
      .catch((err: { message: string; stdout?: string }) => assert.fail(`${err.message}\n${err.stdout ?? ''}`));
    assert.match(r.stdout, /^1 passed, 0 failed$/m, r.stdout);
  } finally {
    await sandbox?.stop();
  }
});
