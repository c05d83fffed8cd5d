// The extension drives the sandbox in a child process over IPC; this runs the same path in
// plain Node: fork the CLI with --ipc, call the control API, receive events, stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { client, xml } from '@xmpp/client';
import { IpcControlClient, IpcStartError } from '../../../sandbox/control/ipc';
import type { ControlEvent } from '../../../sandbox/control/api';

const CLI = join(__dirname, '../../../sandbox/cli.ts');
const forkOpts = { execArgv: ['--import', 'tsx'] };

function freeOverrides(dataDir: string) {
  return { dataDir, xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0 }, queue: { port: 0 } };
}

test('a sandbox child process is driven over IPC: status, events, inject, stop', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-ipc-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const ctl = await IpcControlClient.start(CLI, freeOverrides(dataDir), forkOpts);
  t.after(() => ctl.stop());

  const status = await ctl.call('status', {});
  assert.equal(status.state, 'running');
  assert.match(status.endpoints!.c2s, /^xmpp:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(status.pid, process.pid, 'runs in another process');

  const events: ControlEvent[] = [];
  const off = ctl.onEvent((e) => events.push(e), { trace: true });

  const xmpp = client({ service: status.endpoints!.c2s, domain: 'localhost', username: 'ipcuser', password: 'sandbox', resource: 'r1' });
  await xmpp.start();
  t.after(() => xmpp.stop().catch(() => undefined));
  await xmpp.send(xml('presence'));
  const waitFor = async (pred: () => boolean, what: string) => {
    for (let i = 0; i < 100 && !pred(); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pred(), what);
  };
  await waitFor(() => events.some((e) => e.type === 'sessions-changed' && e.sessions.some((s) => s.bareJid === 'ipcuser@localhost')), 'sessions-changed event names the new session');

  const sessions = await ctl.call('sessions.list', {});
  assert.equal(sessions.find((s) => s.bareJid === 'ipcuser@localhost')?.resources[0]?.fullJid, 'ipcuser@localhost/r1');

  // Inject a message as the server to the client; it arrives, and its trace reaches us.
  const got = new Promise<string>((resolve) => xmpp.on('stanza', (s) => s.is('message') && resolve(s.getChildText('body') ?? '')));
  const { packetId } = await ctl.call('stanza.inject', { as: 'localhost', xml: "<message to='ipcuser@localhost/r1'><body>over ipc</body></message>" });
  assert.equal(await got, 'over ipc');
  await waitFor(() => events.some((e) => e.type === 'trace' && e.events.some((ev) => ev.packetId === packetId && ev.type === 'arrival')), 'trace batch carries the injected packet');

  await assert.rejects(ctl.call('stanza.inject', { as: 'localhost', xml: '<message><body>unclosed' }), (e: Error & { code?: string }) => e.code === 'xml-invalid' || e.code === 'bad-params');
  await assert.rejects(ctl.call('no.such.method' as 'status', {}), (e: Error & { code?: string }) => e.code === 'unknown-method');

  off();
  await xmpp.stop();
  await ctl.stop();
  assert.ok(ctl.child.exitCode === 0, `child exits 0 after stop (got ${ctl.child.exitCode})`);
});

test('a port in use fails the child start with the port and the setting to change', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-ipc-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  await assert.rejects(
    IpcControlClient.start(CLI, { ...freeOverrides(dataDir), xmpp: { c2sPort: port, wsPort: 0, componentPort: 0 } }, forkOpts),
    (e: unknown) => e instanceof IpcStartError && e.code === 'EADDRINUSE' && e.port === port && e.setting === 'xmpp.c2sPort',
  );
});
