// The bridge end to end: an app LPUSHes a stanza, a worker connected with @xmpp/client gets
// it from the bridge, and the worker's reply comes back on the reply list and channel.
// Run against Prosody + redis-server (real peers), Prosody + the embedded queue, and the
// embedded XMPP server + the embedded queue: the bridge changes by configuration only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import Redis from 'ioredis';
import { spawnSync } from 'node:child_process';
import { defaultConfig, resolveConfig, type BridgeConfig } from '../../../sandbox/config';
import { LogHub } from '../../../sandbox/log';
import { TraceBus } from '../../../sandbox/trace/bus';
import { createXmppServer } from '../../../sandbox/xmpp/server';
import { validateStanza } from '../../../sandbox/xmpp/stanza-validator';
import { createBridge, type Bridge } from '../../../sandbox/bridge/bridge';
import { startEmbedded, startRedis, tmpDir, until } from '../queue/helpers';
import { prosodyAvailable, startProsody } from './prosody';

const SECRET = 'bridge-secret';
const PASS = 'workerpass';

interface Peers {
  xmppService: string;
  c2s: string;
  redisUrl: string;
  stop(): Promise<void>;
}

async function embeddedXmpp(): Promise<{ service: string; c2s: string; stop(): Promise<void> }> {
  const config = resolveConfig({
    dataDir: tmpDir('bridge-xmpp-'),
    xmpp: { c2sPort: 0, wsPort: -1, componentPort: 0, password: PASS, components: { 'bridge.localhost': SECRET } },
  });
  const server = createXmppServer({ config, trace: new TraceBus({ enabled: false }), log: new LogHub('error').logger('xmpp') });
  const ports = await server.start();
  return { service: `xmpp://127.0.0.1:${ports.componentPort}`, c2s: `xmpp://127.0.0.1:${ports.c2sPort}`, stop: () => server.stop() };
}

async function prosodyXmpp() {
  const p = await startProsody({ components: { 'bridge.localhost': SECRET }, accounts: { worker: PASS } });
  return { service: `xmpp://127.0.0.1:${p.componentPort}`, c2s: `xmpp://127.0.0.1:${p.c2sPort}`, stop: () => p.stop() };
}

const haveRedis = spawnSync('redis-server', ['--version']).status === 0;
const haveProsody = prosodyAvailable();

const VARIANTS: { name: string; skip: string | false; peers(): Promise<Peers> }[] = [
  {
    name: 'Prosody + redis-server',
    skip: !haveProsody ? 'prosody missing (or not root)' : !haveRedis ? 'redis-server missing' : false,
    async peers() {
      const [x, r] = await Promise.all([prosodyXmpp(), startRedis()]);
      return { xmppService: x.service, c2s: x.c2s, redisUrl: `redis://127.0.0.1:${r.port}`, stop: async () => void (await Promise.all([x.stop(), r.stop()])) };
    },
  },
  {
    name: 'Prosody + embedded queue',
    skip: !haveProsody ? 'prosody missing (or not root)' : false,
    async peers() {
      const [x, q] = await Promise.all([prosodyXmpp(), startEmbedded()]);
      return { xmppService: x.service, c2s: x.c2s, redisUrl: `redis://127.0.0.1:${q.port}`, stop: async () => void (await Promise.all([x.stop(), q.stop()])) };
    },
  },
  {
    name: 'embedded XMPP server + embedded queue',
    skip: false,
    async peers() {
      const [x, q] = await Promise.all([embeddedXmpp(), startEmbedded()]);
      return { xmppService: x.service, c2s: x.c2s, redisUrl: `redis://127.0.0.1:${q.port}`, stop: async () => void (await Promise.all([x.stop(), q.stop()])) };
    },
  },
];

for (const v of VARIANTS) {
  describe(`bridge: ${v.name}`, { skip: v.skip }, () => {
    let peers: Peers;
    let bridge: Bridge;
    let app: Redis;
    let worker: Client;
    const inbox: Element[] = [];
    const logs: string[] = [];
    const cfg: BridgeConfig = { ...defaultConfig().bridge, domain: 'bridge.localhost', secret: SECRET };
    const newBridge = () => {
      const hub = new LogHub('debug');
      hub.addSink((l, m) => logs.push(`${l} ${m}`));
      return createBridge({ bridge: cfg, redisUrl: peers.redisUrl, xmppService: peers.xmppService, log: hub.logger('bridge'), retryDelayMs: 200 });
    };
    const next = async (pred: (s: Element) => boolean, what: string) => {
      await until(() => inbox.some(pred), 10_000, what);
      const i = inbox.findIndex(pred);
      return inbox.splice(i, 1)[0]!;
    };
    const body = (text: string) => (s: Element) => s.is('message') && s.getChildText('body') === text;

    before(async () => {
      peers = await v.peers();
      app = new Redis(peers.redisUrl, { lazyConnect: true });
      await app.connect();
      bridge = newBridge();
      await bridge.start();
      assert.equal(bridge.status, 'online');
      worker = client({ service: peers.c2s, domain: 'localhost', username: 'worker', password: PASS, resource: 'w1' });
      worker.on('error', () => {});
      worker.on('stanza', (s: Element) => inbox.push(s));
      await worker.start();
      await worker.send(xml('presence'));
    });
    after(async () => {
      worker?.reconnect?.stop();
      await Promise.race([worker?.stop().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
      await bridge?.stop();
      app?.disconnect();
      await peers?.stop();
    });

    it('delivers a queued stanza to a worker and brings its reply back (list and channel)', async () => {
      const sub = new Redis(peers.redisUrl);
      const published: string[] = [];
      sub.on('message', (_ch: string, m: string) => published.push(m));
      await sub.subscribe(cfg.replyChannel);
      try {
        await app.lpush(cfg.inList, `<message xmlns='jabber:client' to='worker@localhost' from='orders@bridge.localhost' id='m1'><body>job 1</body></message>`);
        const m = await next(body('job 1'), 'job 1 at the worker');
        assert.equal(m.attrs.from, 'orders@bridge.localhost');
        assert.equal(m.attrs.id, 'm1');
        await worker.send(xml('message', { to: 'orders@bridge.localhost', id: 'r1' }, xml('body', {}, 'done 1')));
        const reply = await app.blpop(cfg.replyList, 10);
        assert.ok(reply, 'a reply on the reply list');
        assert.match(reply[1], /<body>done 1<\/body>/);
        assert.match(reply[1], /from="worker@localhost\/w1"|from='worker@localhost\/w1'/);
        await until(() => published.some((p) => p.includes('done 1')), 5000, 'reply on the channel');
        assert.equal(await app.llen(`${cfg.inList}:processing`), 0);
      } finally {
        sub.disconnect();
      }
    });

    it('keeps FIFO order and forces from into the bridge domain', async () => {
      for (let i = 0; i < 5; i++) await app.lpush(cfg.inList, `<message to='worker@localhost' from='${i % 2 ? 'evil@elsewhere' : 'q@bridge.localhost/r'}'><body>n${i}</body></message>`);
      const got: Element[] = [];
      for (let i = 0; i < 5; i++) got.push(await next(body(`n${i}`), `n${i}`));
      assert.deepEqual(got.map((m) => m.attrs.from), ['q@bridge.localhost/r', 'bridge.localhost', 'q@bridge.localhost/r', 'bridge.localhost', 'q@bridge.localhost/r']);
      await until(async () => (await app.llen(`${cfg.inList}:processing`)) === 0, 5000, 'processing drained');
    });

    it('dead-letters anything that is not exactly one stanza, with the reason', async () => {
      await app.del(cfg.deadLetterList);
      const bad = ['not xml <', '<foo to="worker@localhost"/>', '<message to="worker@localhost"/><message to="worker@localhost"/>', '<message to="worker@localhost"><body>&bogus;</body></message>', '<message><body>no to</body></message>'];
      for (const b of bad) await app.lpush(cfg.inList, b);
      await app.lpush(cfg.inList, `<message to='worker@localhost'><body>after the bad ones</body></message>`);
      await next(body('after the bad ones'), 'the good item after the bad ones');
      await until(async () => (await app.llen(cfg.deadLetterList)) === bad.length, 5000, 'dead letters');
      const dead = (await app.lrange(cfg.deadLetterList, 0, -1)).map((s) => JSON.parse(s) as { reason: string; item: string; at: string }).reverse();
      assert.deepEqual(dead.map((d) => d.item), bad);
      for (const d of dead) assert.ok(d.reason.length > 0 && !Number.isNaN(Date.parse(d.at)));
      assert.match(dead[1]!.reason, /not a stanza/);
      assert.match(dead[2]!.reason, /one root/);
      // The reason is the stanza validator's message, the one stanza.inject gives for the same text.
      for (const d of dead.slice(0, 4)) assert.equal(d.reason, (validateStanza(d.item) as { message?: string }).message, d.item);
      assert.equal(await app.llen(`${cfg.inList}:processing`), 0);
    });

    it('answers disco#info for its domain', async () => {
      const res = await worker.iqCaller.request(xml('iq', { type: 'get', to: 'bridge.localhost', id: 'd1' }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), 5000);
      const q = res.getChild('query', 'http://jabber.org/protocol/disco#info');
      assert.ok(q?.getChild('identity'), 'an identity');
    });

    it('forwards IQ requests to the app, which answers through the outbox (RPC over the bridge)', async () => {
      await app.del(cfg.replyList);
      const pending = worker.iqCaller.request(xml('iq', { type: 'get', to: 'rpc@bridge.localhost', id: 'rpc1' }, xml('sum', { xmlns: 'urn:example:calc' }, '2+3')), 10_000);
      const req = await app.blpop(cfg.replyList, 10);
      assert.ok(req);
      assert.match(req[1], /<sum xmlns="urn:example:calc">2\+3<\/sum>/);
      const from = /from="([^"]+)"/.exec(req[1])![1]!;
      await app.lpush(cfg.inList, `<iq type='result' id='rpc1' to='${from}' from='rpc@bridge.localhost'><sum xmlns='urn:example:calc'>5</sum></iq>`);
      const res = await pending;
      assert.equal(res.getChildText('sum', 'urn:example:calc'), '5');
    });

    it('requeues items left in processing by a previous run', async () => {
      await bridge.stop();
      assert.equal(bridge.status, 'stopped');
      await app.rpush(`${cfg.inList}:processing`, `<message to='worker@localhost'><body>left over</body></message>`);
      await app.lpush(cfg.inList, `<message to='worker@localhost'><body>queued while stopped</body></message>`);
      bridge = newBridge();
      await bridge.start();
      const first = await next((s) => s.is('message') && /left over|queued while stopped/.test(s.getChildText('body') ?? ''), 'first after restart');
      assert.equal(first.getChildText('body'), 'left over');
      await next(body('queued while stopped'), 'second after restart');
      await until(async () => (await app.llen(`${cfg.inList}:processing`)) === 0, 5000, 'processing drained');
    });
  });
}
