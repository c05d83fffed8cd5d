// A message that leaves the offline store later is traced as a packet of its own, linked to
// the packet that was stored (ArrivalEvent.stored): the XEP-0160 flood on presence (also after
// a restart, when the stored packet is from the earlier run), XEP-0013 fetch, and the XEP-0198
// re-delivery of what a dead session never acknowledged.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { rm } from 'node:fs/promises';
import type { ArrivalEvent, OutcomeEvent, TraceEvent } from '../../../sandbox/trace/events';
import { connect, isMessage, startServer, sync, until, xml, type TestServer } from './core/server-harness';

const servers: TestServer[] = [];
after(async () => {
  for (const s of servers) await s.stop({ keepData: true });
  for (const s of servers) await rm(s.dataDir, { recursive: true, force: true });
});
async function start(overrides: Parameters<typeof startServer>[0] = {}, dataDir?: string): Promise<TestServer> {
  const s = await startServer(overrides, dataDir);
  servers.push(s);
  return s;
}

const arrivals = (t: TestServer): ArrivalEvent[] => t.trace.snapshot().filter((e): e is ArrivalEvent => e.type === 'arrival');
const outcomeOf = (t: TestServer, packetId: string): OutcomeEvent | undefined =>
  t.trace.snapshot().find((e: TraceEvent): e is OutcomeEvent => e.type === 'outcome' && e.packetId === packetId);

/** The packet that ended in the store with `body` for `bare`. */
function storedPacket(t: TestServer, bare: string, body: string): ArrivalEvent {
  const a = arrivals(t).find((x) => x.xml.includes(`<body>${body}</body>`) && outcomeOf(t, x.packetId)?.outcome === 'stored-offline' && outcomeOf(t, x.packetId)?.to?.[0] === bare);
  assert.ok(a, `a packet stored for ${bare} with "${body}"`);
  return a;
}

/** The packets that delivered `body` out of the store. */
const deliveries = (t: TestServer, body: string): ArrivalEvent[] => arrivals(t).filter((x) => x.stored && x.xml.includes(`<body>${body}</body>`));

test('XEP-0160 flood: each delivered message is a packet linked to the stored one, within a run and across a restart', async () => {
  const t1 = await start();
  const a = await connect(t1, 'sender', 's');
  await a.c.send(xml('message', { to: 'sleeper@localhost', type: 'chat' }, xml('body', {}, 'same run')));
  await a.c.send(xml('message', { to: 'later@localhost', type: 'chat' }, xml('body', {}, 'next run')));
  await sync(a);
  const sameRun = storedPacket(t1, 'sleeper@localhost', 'same run');
  const nextRun = storedPacket(t1, 'later@localhost', 'next run');
  const item = t1.server.listOffline('later@localhost', true)[0]!.items![0]!;

  const s = await connect(t1, 'sleeper', 'r', { presence: null });
  await until(() => s.c.streamManagement.enabled, 'XEP-0198 on');
  await s.c.send(xml('presence'));
  await s.next(isMessage('same run'));
  await until(() => deliveries(t1, 'same run').some((d) => outcomeOf(t1, d.packetId)?.outcome === 'delivered'), 'the delivery is traced as delivered');
  const [d1] = deliveries(t1, 'same run');
  assert.equal(d1!.stored!.packetId, sameRun.packetId);
  assert.notEqual(d1!.packetId, sameRun.packetId, 'a packet of its own');
  assert.equal(d1!.producedBy, 'offline');
  assert.ok(d1!.parentId, 'its parent is the presence that triggered the flood');

  await t1.stop({ keepData: true });
  servers.splice(servers.indexOf(t1), 1);
  const t2 = await start({}, t1.dataDir);
  const l = await connect(t2, 'later', 'r', { presence: null });
  await until(() => l.c.streamManagement.enabled, 'XEP-0198 on');
  await l.c.send(xml('presence'));
  await l.next(isMessage('next run'));
  await until(() => deliveries(t2, 'next run').length === 1, 'the delivery after the restart is traced');
  // Packet ids start again in the new run: the stamp names the run that stored it.
  assert.deepEqual(deliveries(t2, 'next run')[0]!.stored, { packetId: nextRun.packetId, stamp: item.stamp });
});

test('XEP-0013 fetch: every message written is linked to its stored packet', async () => {
  const t = await start();
  const a = await connect(t, 'sender2', 's');
  await a.c.send(xml('message', { to: 'flex@localhost', type: 'chat' }, xml('body', {}, 'fetch me')));
  await sync(a);
  const stored = storedPacket(t, 'flex@localhost', 'fetch me');
  const u = await connect(t, 'flex', 'r', { presence: null });
  await u.c.iqCaller.request(xml('iq', { type: 'get' }, xml('offline', { xmlns: 'http://jabber.org/protocol/offline' }, xml('fetch'))));
  await u.next(isMessage('fetch me'));
  await until(() => deliveries(t, 'fetch me').length === 1, 'the fetched message is traced');
  const d = deliveries(t, 'fetch me')[0]!;
  assert.equal(d.stored!.packetId, stored.packetId);
  assert.equal(d.producedBy, 'offline-flexible');
});

test('XEP-0198: an unacknowledged message is stored as a packet, and its re-delivery links to it', async () => {
  const t = await start({ xmpp: { smResumeTimeoutSec: 0 } });
  const w = await connect(t, 'solo', 'w', { presence: 1 });
  await until(() => w.c.streamManagement.enabled, 'XEP-0198 on');
  w.c.reconnect.stop();
  const died = new Promise<void>((resolve) =>
    w.c.on('stanza', (st) => {
      if (st.is('message') && st.getChildText('body') === 'job-C') {
        (w.c.socket as Socket).destroy();
        resolve();
      }
    }),
  );
  const p = await connect(t, 'producer', 'p');
  await p.c.send(xml('message', { to: 'solo@localhost/w', type: 'chat' }, xml('body', {}, 'job-C')));
  await died;
  await until(() => t.server.listOffline('solo@localhost')[0]?.count === 1, 'stored offline');
  // The re-routed copy: traced by the server on the dead session's behalf, stored.
  const rerouted = storedPacket(t, 'solo@localhost', 'job-C');
  assert.equal(rerouted.source.kind, 'server');
  const again = await connect(t, 'solo', 'w2', { presence: 1 });
  await again.next(isMessage('job-C'));
  await until(() => deliveries(t, 'job-C').length === 1, 'the re-delivery is traced');
  assert.equal(deliveries(t, 'job-C')[0]!.stored!.packetId, rerouted.packetId);
});
