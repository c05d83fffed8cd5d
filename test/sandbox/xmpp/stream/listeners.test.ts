// createStreamListeners: ports, port-in-use errors, disabled listeners, stop() behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { resolveConfig } from '../../../../sandbox/config';
import { silentLogger } from '../../../../sandbox/log';
import { ConfigAccountStore } from '../../../../sandbox/xmpp/auth/accounts';
import { createStreamListeners } from '../../../../sandbox/xmpp/stream/listeners';
import { RawClient, rawLogin, startHarness, TestSessionManager } from './harness';

test('a port in use rejects start() naming the port, with code and port', async () => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const config = resolveConfig({ xmpp: { c2sPort: 0, wsPort: port, componentPort: 0 } });
    const l = createStreamListeners({ config, sm: new TestSessionManager('localhost'), accounts: new ConfigAccountStore(config), log: silentLogger });
    await assert.rejects(l.start(), (e: Error & { code?: string; port?: number }) => {
      assert.equal(e.code, 'EADDRINUSE');
      assert.equal(e.port, port);
      assert.match(e.message, new RegExp(`port ${port} in use.*xmpp\\.wsPort`));
      return true;
    });
    // the c2s listener opened before the failure was closed again
    await l.stop();
  } finally {
    blocker.close();
  }
});

test('-1 disables the WebSocket and component listeners', async () => {
  const h = await startHarness({ xmpp: { wsPort: -1, componentPort: -1 } });
  try {
    assert.equal(h.ports.wsPort, null);
    assert.equal(h.ports.componentPort, null);
    assert.ok(h.ports.c2sPort > 0);
  } finally {
    await h.listeners.stop();
  }
});

test('ConfigAccountStore: sandbox password for anyone, own password for declared accounts', () => {
  const config = resolveConfig({ xmpp: { password: 'pw', accounts: { Zed: 'own' } } });
  const a = new ConfigAccountStore(config);
  assert.equal(a.passwordFor('anyone'), 'pw');
  assert.equal(a.passwordFor('zed'), 'own');
  assert.equal(a.passwordFor(''), null);
});

test('stop() sends system-shutdown, ends detached sessions, and resolves with a hung client', async () => {
  const h = await startHarness({ xmpp: { smResumeTimeoutSec: 60 } });
  const hung = await rawLogin(h.ports.c2sPort, 'hung', 'sandbox', 'r');
  const det = await rawLogin(h.ports.c2sPort, 'det', 'sandbox', 'r');
  det.write(`<enable xmlns='urn:xmpp:sm:3' resume='true'/>`);
  await det.waitFor(/<enabled/);
  const detSession = h.listeners.sessions().find((s) => s.jid?.full === 'det@localhost/r')!;
  hung.write(`<message to='det@localhost/r'><body>queued</body></message>`);
  await det.waitFor(/queued/);
  det.destroy();
  while (detSession.sm !== 'detached') await new Promise((r) => setTimeout(r, 10));
  const pre = await RawClient.connect(h.ports.c2sPort); // connected, never sends anything
  // A peer that never closes its side: the server must not wait for it forever.
  const stuck = net.connect({ port: h.ports.c2sPort, host: '127.0.0.1', allowHalfOpen: true });
  let stuckClosed = false;
  stuck.on('end', () => (stuckClosed = true));
  stuck.on('error', () => {});
  stuck.resume();
  await new Promise((r) => stuck.once('connect', r));
  await new Promise((r) => setTimeout(r, 50));

  const t0 = Date.now();
  await h.listeners.stop();
  assert.ok(Date.now() - t0 < 5000, 'stop() resolves');
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(stuckClosed, 'a hung peer is disconnected');
  assert.match(hung.data, /<stream:error><system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/><\/stream:error><\/stream:stream>/);
  assert.match(pre.data, /<system-shutdown/);
  assert.ok(h.sm.events.includes(`ended ${detSession.id}`));
  assert.deepEqual(h.sm.endedUnacked.get(detSession.id)!.map((e) => e.getChildText('body')), ['queued']);
  assert.equal(h.listeners.sessions().length, 0);
  hung.destroy();
  pre.destroy();
  stuck.destroy();
});
