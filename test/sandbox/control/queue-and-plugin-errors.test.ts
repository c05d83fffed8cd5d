// The control operations the editor's queue view and Problems panel use (issue 13), in-process:
// queue.info and queue.pop next to a real Redis client, bad params refused with a clear error;
// plugins.errors with the file and line of each plugin that did not load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { ControlError } from '../../../sandbox/control/api';
import { createSandbox } from '../../../sandbox/index';

async function started(t: { after(fn: () => unknown): void }, pluginDir = '') {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-ctl-'));
  const sandbox = createSandbox({ dataDir, logLevel: 'error', xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1, pluginDir }, queue: { port: 0 }, bridge: { enabled: false } });
  const endpoints = await sandbox.start();
  t.after(async () => {
    await sandbox.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  return { sandbox, endpoints, dataDir };
}

test('queue.info and queue.pop agree with what a Redis client sees', async (t) => {
  const { sandbox, endpoints } = await started(t);
  const redis = new Redis(endpoints.queue!, { maxRetriesPerRequest: 1 });
  await redis.rpush('jobs', 'a', 'b', 'c');
  await redis.set('greeting', 'héllo');
  const c = sandbox.control;
  assert.deepEqual(await c.call('queue.info', { key: 'jobs' }), { key: 'jobs', type: 'list', length: 3 });
  assert.deepEqual(await c.call('queue.info', { key: 'greeting' }), { key: 'greeting', type: 'string', length: 6 });
  assert.deepEqual(await c.call('queue.info', { key: 'none' }), { key: 'none', type: 'none', length: 0 });
  assert.deepEqual(await c.call('queue.pop', { key: 'jobs' }), { value: 'a' });
  assert.deepEqual(await c.call('queue.pop', { key: 'jobs', side: 'right' }), { value: 'c' });
  assert.deepEqual(await redis.lrange('jobs', 0, -1), ['b']);
  assert.deepEqual(await c.call('queue.pop', { key: 'jobs' }), { value: 'b' });
  assert.deepEqual(await c.call('queue.pop', { key: 'jobs' }), { value: null });
  assert.equal(await redis.exists('jobs'), 0, 'the emptied list is gone, as in Redis');
  // Multi-byte items come back as they went in.
  await redis.lpush('utf8', 'ünïcödé ✓');
  assert.deepEqual(await c.call('queue.pop', { key: 'utf8' }), { value: 'ünïcödé ✓' });
  await assert.rejects(c.call('queue.pop', { key: 'greeting' }), (e: unknown) => e instanceof ControlError && /WRONGTYPE/.test(e.message));
  await assert.rejects(c.call('queue.pop', { key: 'jobs', side: 'middle' as 'left' }), (e: unknown) => e instanceof ControlError && e.code === 'bad-params');
  await assert.rejects(c.call('queue.info', { key: '' }), (e: unknown) => e instanceof ControlError && e.code === 'bad-params');
  redis.disconnect();
});

test('plugins.errors names each failed file with its line; a missing folder is one error; a reload replaces them', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'sbx-plugins-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const missing = await started(t, join(root, 'nope'));
  const [folder] = await missing.sandbox.control.call('plugins.errors', {});
  assert.equal(folder?.file, join(root, 'nope'));
  assert.match(folder!.error, /^cannot read plugin folder: ENOENT/);

  const dir = join(root, 'plugins');
  await mkdir(dir);
  await writeFile(join(dir, 'a-syntax.cjs'), "module.exports = {\n  id: 'x'\n  preProcess() {},\n};\n");
  await writeFile(join(dir, 'b-throws.mjs'), "export default { id: 'y' };\nconst n = 1;\nnull.boom(n);\n");
  await writeFile(join(dir, 'c-shape.js'), 'module.exports = 42;\n');
  const { sandbox } = await started(t, dir);
  const errors = await sandbox.control.call('plugins.errors', {});
  assert.deepEqual(
    errors.map((e) => ({ file: e.file, line: e.line })),
    [
      { file: join(dir, 'a-syntax.cjs'), line: 3 },
      { file: join(dir, 'b-throws.mjs'), line: 3 },
      { file: join(dir, 'c-shape.js'), line: undefined },
    ],
  );
  assert.equal(errors[1]!.column, 6);
  assert.match(errors[2]!.error, /exports no plugin/);

  await writeFile(join(dir, 'a-syntax.cjs'), "module.exports = { id: 'x', preProcess: () => false };\n");
  const reloaded = await sandbox.control.call('plugins.reload', {});
  assert.deepEqual(reloaded.errors.map((e) => e.file), [join(dir, 'b-throws.mjs'), join(dir, 'c-shape.js')]);
  assert.deepEqual(await sandbox.control.call('plugins.errors', {}), reloaded.errors);
});
