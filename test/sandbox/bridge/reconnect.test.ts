// The bridge survives losing either side: the XMPP server or the queue restarts on the
// same port and the bridge reconnects by itself (logging it); items pushed while XMPP was
// down are delivered once it is back, and none is lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import Redis from 'ioredis';
import { defaultConfig, resolveConfig, type BridgeConfig } from '../../../sandbox/config';
import { LogHub } from '../../../sandbox/log';
import { TraceBus } from '../../../sandbox/trace/bus';
import { createXmppServer, type XmppServer } from '../../../sandbox/xmpp/server';
import { createBridge, type Bridge } from '../../../sandbox/bridge/bridge';
import { startEmbedded, tmpDir, until, type Embedded } from '../queue/helpers';

const SECRET = 'bridge-secret';
const PASS = 'pw';

describe('bridge reconnects after losing XMPP or the queue', () => {
  let ports = { c2sPort: 0, componentPort: 0 };
  let xmppServer: XmppServer;
  let queue: Embedded;
  let bridge: Bridge;
  let app: Redis;
  let worker: Client | null = null;
  const inbox: Element[] = [];
  const logs: string[] = [];
  const xmppDir = tmpDir('bridge-rc-');
  const cfg: BridgeConfig = { ...defaultConfig().bridge, secret: SECRET };

  async function startXmpp(): Promise<void> {
    const config = resolveConfig({ dataDir: xmppDir, xmpp: { c2sPort: ports.c2sPort, wsPort: -1, componentPort: ports.componentPort, password: PASS, components: { [cfg.domain]: SECRET } } });
    xmppServer = createXmppServer({ config, trace: new TraceBus({ enabled: false }), log: new LogHub('error').logger('xmpp') });
    const p = await xmppServer.start();
    ports = { c2sPort: p.c2sPort, componentPort: p.componentPort! };
  }
  async function startWorker(): Promise<void> {
    if (worker) {
      worker.reconnect?.stop();
      await Promise.race([worker.stop().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
    }
    const w = client({ service: `xmpp://127.0.0.1:${ports.c2sPort}`, domain: 'localhost', username: 'worker', password: PASS, resource: 'w' });
    w.on('error', () => {});
    w.reconnect?.stop();
    w.on('stanza', (s: Element) => inbox.push(s));
    await w.start();
    await w.send(xml('presence'));
    worker = w;
  }
  const received = (text: string) => until(() => inbox.some((s) => s.is('message') && s.getChildText('body') === text), 15_000, `"${text}" at the worker`);

  before(async () => {
    await startXmpp();
    queue = await startEmbedded();
    app = new Redis({ port: queue.port, lazyConnect: true });
    app.on('error', () => {});
    await app.connect();
    const hub = new LogHub('debug');
    hub.addSink((l, m) => logs.push(`${l} ${m}`));
    bridge = createBridge({ bridge: cfg, redisUrl: `redis://127.0.0.1:${queue.port}`, xmppService: `xmpp://127.0.0.1:${ports.componentPort}`, log: hub.logger('bridge'), retryDelayMs: 200 });
    await bridge.start();
    await startWorker();
  });
  after(async () => {
    worker?.reconnect?.stop();
    await Promise.race([worker?.stop().catch(() => {}), new Promise((r) => setTimeout(r, 1000))]);
    await bridge.stop();
    app.disconnect();
    await queue.stop();
    await xmppServer.stop();
  });

  it('XMPP server restart: an item pushed while it is down is delivered after the reconnect', async () => {
    await app.lpush(cfg.inList, `<message to='worker@localhost'><body>before</body></message>`);
    await received('before');
    await xmppServer.stop();
    await until(() => bridge.status !== 'online', 5000, 'bridge notices the loss');
    await app.lpush(cfg.inList, `<message to='worker@localhost'><body>while down</body></message>`);
    await startXmpp();
    await until(() => bridge.status === 'online', 15_000, 'bridge back online');
    await startWorker();
    await received('while down');
    assert.ok(logs.some((l) => /XMPP connection .* lost/.test(l)), logs.join('\n'));
  });

  it('a wrong component secret: start() rejects, status is error, it keeps retrying and stops cleanly', async () => {
    const wrongLogs: string[] = [];
    const hub = new LogHub('debug');
    hub.addSink((l, m) => wrongLogs.push(`${l} ${m}`));
    const wrong = createBridge({
      bridge: { ...cfg, secret: 'wrong', inList: 'other:outbox' },
      redisUrl: `redis://127.0.0.1:${queue.port}`,
      xmppService: `xmpp://127.0.0.1:${ports.componentPort}`,
      log: hub.logger('bridge'),
      retryDelayMs: 100,
    });
    try {
      await assert.rejects(() => wrong.start());
      assert.equal(wrong.status, 'error');
      await until(() => wrongLogs.filter((l) => /could not connect/.test(l)).length >= 2, 5000, 'a retry');
    } finally {
      await wrong.stop();
    }
    assert.equal(wrong.status, 'stopped');
    // The real bridge was not disturbed.
    await app.lpush(cfg.inList, `<message to='worker@localhost'><body>still fine</body></message>`);
    await received('still fine');
  });

  it('queue restart: the bridge reconnects to Redis and keeps consuming', async () => {
    const { dataDir, port } = queue;
    await queue.stop();
    await until(() => bridge.status !== 'online', 5000, 'bridge notices the queue loss');
    queue = await startEmbedded({ dataDir, port });
    await until(() => bridge.status === 'online', 15_000, 'bridge back online');
    await app.lpush(cfg.inList, `<message to='worker@localhost'><body>after queue restart</body></message>`);
    await received('after queue restart');
    assert.ok(logs.some((l) => /redis .* connection lost/.test(l)), logs.join('\n'));
  });
});
