// A port in use is reported once, by the listener that failed (sandbox/listen.ts): its
// PortInUseError names that listener's config path, even when two settings hold the same
// number or the others are 0. In-process here; ipc-client.test.ts and the extension's suite
// carry the same error over IPC.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { fatalOf, PortInUseError, StartError, startErrorOf, type ConfigOverrides, type PortSetting } from '../../../sandbox/control/api';
import { IpcControlClient } from '../../../sandbox/control/ipc-client';
import { ConfigError } from '../../../sandbox/config';
import { createSandbox } from '../../../sandbox/index';

async function occupied(t: { after(fn: () => unknown): void }): Promise<number> {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => blocker.close(r)));
  return (blocker.address() as net.AddressInfo).port;
}

/** A port free right now (bound and released). */
async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

async function startFails(t: { after(fn: () => unknown): void }, ports: { c2s?: number; ws?: number; component?: number; queue?: number }): Promise<PortInUseError> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-port-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const sandbox = createSandbox({
    dataDir,
    logLevel: 'error',
    xmpp: { c2sPort: ports.c2s ?? 0, wsPort: ports.ws ?? 0, componentPort: ports.component ?? 0 },
    queue: { port: ports.queue ?? 0 },
    bridge: { enabled: false },
  });
  t.after(() => sandbox.stop());
  const err = await sandbox.start().then(
    () => assert.fail('started although a port is taken'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof PortInUseError, `a PortInUseError, got ${String(err)}`);
  assert.equal(sandbox.status().state, 'stopped', 'a failed start leaves it stopped');
  return err;
}

const named = (e: PortInUseError): { port: number; setting: PortSetting } => ({ port: e.port, setting: e.setting });

test('c2s and WebSocket set to the same taken port: the c2s listener, which failed, is named', async (t) => {
  const port = await occupied(t);
  assert.deepEqual(named(await startFails(t, { c2s: port, ws: port })), { port, setting: 'xmpp.c2sPort' });
});

test('queue and c2s set to the same taken port: the queue, which binds first, is named', async (t) => {
  const port = await occupied(t);
  assert.deepEqual(named(await startFails(t, { queue: port, c2s: port })), { port, setting: 'queue.port' });
});

test('queue and c2s set to the same free port: the queue gets it and c2s is named', async (t) => {
  const port = await freePort();
  assert.deepEqual(named(await startFails(t, { queue: port, c2s: port })), { port, setting: 'xmpp.c2sPort' });
});

test('WebSocket and component on the same free port, the rest 0: the component listener is named', async (t) => {
  const port = await freePort();
  assert.deepEqual(named(await startFails(t, { ws: port, component: port })), { port, setting: 'xmpp.componentPort' });
});

test('the same error over IPC: the child sends it in its fatal message, the client rejects with it', async (t) => {
  const port = await occupied(t);
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-port-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const overrides: ConfigOverrides = { dataDir, xmpp: { c2sPort: port, wsPort: port, componentPort: 0 }, queue: { port: 0 } };
  await assert.rejects(
    IpcControlClient.start(join(__dirname, '../../../sandbox/cli.ts'), overrides, { execArgv: ['--import', 'tsx'] }),
    (e: unknown) => e instanceof PortInUseError && e.code === 'EADDRINUSE' && e.port === port && e.setting === 'xmpp.c2sPort',
  );
});

test("the 'fatal' message keeps a start error's class and fields, and only what it knows", () => {
  const roundTrip = (err: unknown) => startErrorOf(JSON.parse(JSON.stringify(fatalOf(err))), ['last line']);
  const port = roundTrip(new PortInUseError(5222, 'xmpp.wsPort', { host: '::1' }));
  assert.ok(port instanceof PortInUseError);
  assert.deepEqual(
    { message: port.message, code: port.code, port: port.port, setting: port.setting, lastLines: port.lastLines },
    { message: 'port 5222 in use on ::1 (config xmpp.wsPort): stop what uses it, or choose another port', code: 'EADDRINUSE', port: 5222, setting: 'xmpp.wsPort', lastLines: ['last line'] },
  );
  const config = roundTrip(new ConfigError('xmpp.c2sPort must be a port number'));
  assert.ok(config instanceof StartError && !(config instanceof PortInUseError));
  assert.deepEqual({ message: config.message, code: config.code }, { message: 'xmpp.c2sPort must be a port number', code: undefined });
  const errno = roundTrip(Object.assign(new Error('listen EACCES'), { code: 'EACCES', port: 80 }));
  assert.equal(errno.code, 'EACCES');
  // An EADDRINUSE that names no known port setting is not made a PortInUseError.
  const unknown = startErrorOf({ kind: 'fatal', message: 'x', code: 'EADDRINUSE', port: 1, setting: 'bridge.port' });
  assert.ok(!(unknown instanceof PortInUseError));
  assert.equal(unknown.code, 'EADDRINUSE');
});
