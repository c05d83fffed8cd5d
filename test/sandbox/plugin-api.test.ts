// The public plugin API (sandbox/plugin-api.ts): a user plugin file that imports only from it,
// loaded from the plugin folder, reads sessions, presence and the offline store through the
// read-only views while real @xmpp/client sessions are logged in; every attempt to write to
// what it was given throws a TypeError, and routing (delivery, offline flush) is unaffected.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Element } from '@xmpp/xml';
import { connect, isMessage, startServer, sync, until, xml, type TestClient, type TestServer } from './xmpp/core/server-harness';

const API = path.join(__dirname, '../../sandbox/plugin-api.ts');
const NS = 'urn:example:views';

// Strict mode (as an ES module would be), so a refused write throws instead of being ignored.
const PLUGIN = `'use strict';
import { parseJid, xml, type Element, type Plugin, type PluginContext, type ResourceView } from ${JSON.stringify(API)};

const NS = ${JSON.stringify(NS)};

function resourceEl(r: ResourceView): Element {
  return xml('resource', {
    jid: r.jid.full,
    session: r.session.id,
    transport: r.session.transport,
    sm: r.session.sm,
    available: String(r.available),
    priority: String(r.priority),
    show: r.show ?? '',
    status: r.status ?? '',
    directed: [...r.directed].join(' '),
  });
}

function read(ctx: PluginContext, bare: string): Element {
  const q = xml('query', { xmlns: NS, offline: String(ctx.offline.count(bare)) });
  for (const r of ctx.router.resources(bare)) q.append(resourceEl(r));
  for (const it of ctx.offline.list(bare)) q.append(xml('stored', { from: it.from }));
  return q;
}

// Every way a plugin might try to change what it was given.
function attempts(ctx: PluginContext, bare: string, offlineBare: string): Record<string, () => unknown> {
  const r: any = ctx.router.resources(bare)[0];
  const router: any = ctx.router;
  const offline: any = ctx.offline;
  const c: any = ctx;
  const forged = xml('message', { to: r.jid.full }, xml('body', {}, 'forged'));
  return {
    'resource.available': () => { r.available = false; },
    'resource.priority': () => { r.priority = -1; },
    'resource.presence': () => { r.presence = null; },
    'resource.new property': () => { r.extra = 1; },
    'resource prototype': () => Object.defineProperty(Object.getPrototypeOf(r), 'available', { get: () => false }),
    'resource.directed.add': () => r.directed.add('eve@localhost'),
    'resource.jid.full': () => { r.jid.full = 'eve@localhost/x'; },
    'session.sm': () => { r.session.sm = 'detached'; },
    'session.send': () => r.session.send(forged),
    'session.close': () => r.session.close(),
    'resources.length': () => { ctx.router.resources(bare).length = 0; },
    'resources.push': () => (ctx.router.resources(bare) as ResourceView[]).push(r),
    'router.resources': () => { router.resources = () => []; },
    'router.setPresence': () => router.setPresence(r.session, { available: false, stanza: null }),
    'router.nextRoundRobin': () => router.nextRoundRobin(bare, 2),
    'offline.remove': () => offline.remove(offlineBare),
    'offline.add': () => offline.add(offlineBare, { from: 'eve@localhost', stamp: '', xml: '<message/>' }),
    'offline.list.length': () => { offline.list(offlineBare).length = 0; },
    'offline.item.xml': () => { offline.list(offlineBare)[0].xml = '<message/>'; },
    'config.presenceBroadcast': () => { c.config.xmpp.presenceBroadcast = 'none'; },
    'ctx.router': () => { c.router = null; },
    'ctx internals': () => c.pl.deps.router,
    'deliver to a look-alike session': () => ctx.deliver({ ...r.session, id: r.session.id, send() {} } as any, forged),
  };
}

const plugin: Plugin = {
  id: 'views',
  handles: [{ path: ['iq', 'query'], xmlns: NS }],
  types: ['get'],
  directions: ['out'],
  process(p, ctx) {
    if (!ctx.isServer(p.to)) return false;
    const q = p.element.getChild('query')!;
    const bare = parseJid(q.attrs.jid).bare;
    if (q.attrs.action !== 'tamper') return ctx.result(read(ctx, bare));
    const res = xml('query', { xmlns: NS });
    for (const [name, attempt] of Object.entries(attempts(ctx, bare, parseJid(q.attrs.offline).bare))) {
      let outcome = 'succeeded';
      try {
        attempt();
      } catch (err) {
        outcome = (err as Error).name;
      }
      res.append(xml('attempt', { name, outcome }));
    }
    ctx.result(res);
  },
};
export default plugin;
`;

let t: TestServer;
let pluginDir: string;
before(async () => {
  pluginDir = await mkdtemp(path.join(tmpdir(), 'xmpp-plugin-api-'));
  await writeFile(path.join(pluginDir, 'views.ts'), PLUGIN);
  t = await startServer({ xmpp: { pluginDir, presenceBroadcast: 'own' } });
});
after(async () => {
  await t.stop();
  await rm(pluginDir, { recursive: true, force: true });
});

const ask = async (c: TestClient, attrs: Record<string, string>): Promise<Element> =>
  (await c.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('query', { xmlns: NS, ...attrs })))).getChild('query', NS)!;

test('a plugin importing only sandbox/plugin-api reads sessions, presence and the offline store; writes to the views fail and routing is unaffected', async () => {
  const origin = t.server.listPlugins().find((p) => p.id === 'views')?.origin;
  assert.match(origin ?? '', /views\.ts$/, 'the plugin was loaded from the plugin folder');

  // carol is offline: a message to her is stored.
  const alice = await connect(t, 'alice', 'a');
  await alice.c.send(xml('message', { to: 'carol@localhost' }, xml('body', {}, 'kept for carol')));
  await until(() => t.server.listOffline('carol@localhost')[0]?.count === 1, 'stored for carol');

  // bob: priority 5, away, "lunch", and directed presence to alice.
  const bob = await connect(t, 'bob', 'b', { presence: null });
  await bob.c.send(xml('presence', {}, xml('priority', {}, '5'), xml('show', {}, 'away'), xml('status', {}, 'lunch')));
  await bob.c.send(xml('presence', { to: 'alice@localhost/a' }));
  await sync(bob);

  const info = t.server.listSessions().find((s) => s.bareJid === 'bob@localhost')!.resources[0]!;
  const expected = {
    jid: 'bob@localhost/b',
    session: info.sessionId,
    transport: 'tcp',
    sm: info.sm,
    available: 'true',
    priority: '5',
    show: 'away',
    status: 'lunch',
    directed: 'alice@localhost/a',
  };
  const readBob = async () => (await ask(alice, { jid: 'bob@localhost' })).getChildren('resource').map((r) => ({ ...r.attrs }));
  assert.deepEqual(await readBob(), [expected]);
  const carol = await ask(alice, { jid: 'carol@localhost' });
  assert.equal(carol.attrs.offline, '1');
  assert.deepEqual(
    carol.getChildren('stored').map((s) => s.attrs.from),
    ['alice@localhost/a'],
  );

  // Every write is refused with a TypeError.
  const tampered = await ask(alice, { jid: 'bob@localhost', offline: 'carol@localhost', action: 'tamper' });
  const outcomes = Object.fromEntries(tampered.getChildren('attempt').map((a) => [a.attrs.name, a.attrs.outcome]));
  assert.equal(Object.keys(outcomes).length, 23);
  for (const [name, outcome] of Object.entries(outcomes)) assert.equal(outcome, 'TypeError', name);

  // Nothing changed: the views read the same, bob still gets bare-JID messages (available,
  // priority ≥ 0, connected), and carol's stored message is still there and flushed to her.
  assert.deepEqual(await readBob(), [expected]);
  assert.equal(t.server.listOffline('carol@localhost')[0]?.count, 1);
  await alice.c.send(xml('message', { to: 'bob@localhost' }, xml('body', {}, 'to the bare JID')));
  await bob.next(isMessage('to the bare JID'));
  assert.deepEqual(bob.bodies(), [], 'no forged message reached bob');
  const c = await connect(t, 'carol', 'c');
  await c.next(isMessage('kept for carol'));
  await until(() => t.server.listOffline('carol@localhost')[0]?.count === 0, 'flushed to carol');

  // The views follow the router: carol's flush shows, and bob going unavailable shows.
  assert.equal((await ask(alice, { jid: 'carol@localhost' })).attrs.offline, '0');
  await bob.c.send(xml('presence', { type: 'unavailable' }));
  await sync(bob);
  const gone = (await readBob())[0]!;
  assert.equal(gone.available, 'false');
  assert.equal(gone.show, '');
  assert.equal(gone.directed, '', 'unavailable presence went to the directed-presence JIDs (RFC 6121 §4.6.3)');
});
