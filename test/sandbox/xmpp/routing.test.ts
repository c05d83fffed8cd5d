// Message routing between real @xmpp/client apps (RFC 6121 §8.5, docs/interop.md §3.2) and
// the seed-000 load-balancing flow: bare-JID messages follow presence priority.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, isMessage, startServer, sync, xml, type TestServer } from './core/server-harness';

describe('two apps', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.stop());

  test('exchange messages over TCP and WebSocket, with from stamped to the full JID', async () => {
    const a = await connect(t, 'alice', 'tcp1');
    const b = await connect(t, 'bob', 'ws1', { ws: true });
    await a.c.send(xml('message', { to: 'bob@localhost/ws1', type: 'chat', from: 'mallory@localhost/x' }, xml('body', {}, 'hello over ws')));
    const m = await b.next(isMessage('hello over ws'));
    assert.equal(m.attrs.from, 'alice@localhost/tcp1');
    assert.equal(m.attrs.to, 'bob@localhost/ws1');
    await b.c.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', {}, 'reply over tcp')));
    const r = await a.next(isMessage('reply over tcp'));
    assert.equal(r.attrs.from, 'bob@localhost/ws1');
    assert.equal(r.attrs.to, 'alice@localhost', 'to is never rewritten to the full JID');
    const sessions = t.server.listSessions();
    assert.deepEqual(sessions.map((s) => s.bareJid), ['alice@localhost', 'bob@localhost']);
    assert.equal(sessions[1]!.resources[0]!.transport, 'websocket');
  });

  test('a c2s→c2s message shows two linked packets in the trace (P1 out → P2 in → delivered)', async () => {
    const a = await connect(t, 'carol', 'x');
    const b = await connect(t, 'dan', 'y');
    const since = t.trace.lastSeq;
    await a.c.send(xml('message', { to: 'dan@localhost', id: 'trace-1' }, xml('body', {}, 'traced')));
    await b.next(isMessage('traced'));
    const ev = t.trace.snapshot(since);
    const p1 = ev.find((e) => e.type === 'arrival' && e.id === 'trace-1' && e.direction === 'out')!;
    assert.ok(p1, 'P1 arrival');
    const p2 = ev.find((e) => e.type === 'arrival' && e.type === 'arrival' && e.parentId === p1.packetId)!;
    assert.ok(p2 && p2.type === 'arrival');
    assert.equal(p2.direction, 'in');
    const o1 = ev.find((e) => e.type === 'outcome' && e.packetId === p1.packetId);
    assert.ok(o1 && o1.type === 'outcome' && o1.outcome === 'forwarded' && o1.produced?.includes(p2.packetId));
    const o2 = ev.find((e) => e.type === 'outcome' && e.packetId === p2.packetId);
    assert.ok(o2 && o2.type === 'outcome');
    assert.equal(o2.outcome, 'delivered');
    assert.deepEqual(o2.to, ['dan@localhost/y']);
    const stages = ev.filter((e) => e.type === 'stage' && e.packetId === p2.packetId && e.phase === 'enter').map((e) => (e.type === 'stage' ? e.stage : ''));
    // Every stage shows, even those where no plugin acted (events.ts contract).
    assert.deepEqual(stages, ['preprocess', 'process', 'postprocess', 'filter']);
    const plugins = ev.filter((e) => e.type === 'plugin' && e.packetId === p2.packetId);
    assert.ok(plugins.some((e) => e.type === 'plugin' && e.plugin === 'message' && e.verdict === 'produced'));
  });
});

describe('bare-JID delivery by priority (workers sharing one bare JID)', () => {
  let t: TestServer;
  before(async () => {
    t = await startServer();
  });
  after(() => t.stop());

  test('10 gets it, 5 and -1 do not; when 10 drops below 5, 5 gets the work; -1 never', async () => {
    const w10 = await connect(t, 'worker', 'w10', { presence: 10 });
    const w5 = await connect(t, 'worker', 'w5', { presence: 5 });
    const wn = await connect(t, 'worker', 'wneg', { presence: -1 });
    const producer = await connect(t, 'producer', 'p');
    await producer.c.send(xml('message', { to: 'worker@localhost' }, xml('body', {}, 'job-1')));
    await w10.next(isMessage('job-1'));
    // The worker takes the job and lowers its priority (busy workers step aside).
    await w10.c.send(xml('presence', {}, xml('priority', {}, '0')));
    await sync(w10);
    await producer.c.send(xml('message', { to: 'worker@localhost' }, xml('body', {}, 'job-2')));
    await w5.next(isMessage('job-2'));
    // Back to 10 (step 5): the next job goes to it again.
    await w10.c.send(xml('presence', {}, xml('priority', {}, '10')));
    await sync(w10);
    await producer.c.send(xml('message', { to: 'worker@localhost' }, xml('body', {}, 'job-3')));
    await w10.next(isMessage('job-3'));
    await sync(producer);
    await sync(wn);
    assert.deepEqual(wn.bodies(), [], 'negative priority never gets bare-JID messages');
    assert.deepEqual(w5.bodies(), []);
    assert.deepEqual(w10.bodies(), []);
    const info = t.server.listSessions().find((s) => s.bareJid === 'worker@localhost')!;
    assert.deepEqual(info.resources.map((r) => [r.resource, r.priority, r.available]).sort(), [['w10', 10, true], ['w5', 5, true], ['wneg', -1, true]]);
  });

  test('a headline goes to every non-negative resource', async () => {
    const a = await connect(t, 'news', 'a', { presence: 1 });
    const b = await connect(t, 'news', 'b', { presence: 0 });
    const n = await connect(t, 'news', 'n', { presence: -5 });
    const p = await connect(t, 'editor', 'e');
    await p.c.send(xml('message', { to: 'news@localhost', type: 'headline' }, xml('body', {}, 'extra')));
    await a.next(isMessage('extra'));
    await b.next(isMessage('extra'));
    await sync(p);
    await sync(n);
    assert.equal(n.inbox.filter(isMessage('extra')).length, 0);
  });

  test('groupchat to a user is an error (service-unavailable)', async () => {
    await connect(t, 'gc', 'a');
    const p = await connect(t, 'gcsender', 'e');
    await p.c.send(xml('message', { to: 'gc@localhost', type: 'groupchat', id: 'g1' }, xml('body', {}, 'x')));
    const err = await p.next((s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'g1');
    assert.ok(err.getChild('error')!.getChild('service-unavailable'));
  });
});

for (const tieBreak of ['round-robin', 'all'] as const) {
  describe(`tieBreak ${tieBreak}`, () => {
    let t: TestServer;
    before(async () => {
      t = await startServer({ xmpp: { tieBreak } });
    });
    after(() => t.stop());

    test(tieBreak === 'round-robin' ? 'alternates between two equal resources' : 'delivers to both equal resources', async () => {
      const a = await connect(t, 'pool', 'a', { presence: 3 });
      const b = await connect(t, 'pool', 'b', { presence: 3 });
      await connect(t, 'pool', 'low', { presence: 1 });
      const p = await connect(t, 'feeder', 'f');
      for (let i = 0; i < 4; i++) await p.c.send(xml('message', { to: 'pool@localhost' }, xml('body', {}, `m${i}`)));
      await sync(p);
      await sync(a);
      await sync(b);
      if (tieBreak === 'round-robin') {
        const all = [...a.bodies(), ...b.bodies()].sort();
        assert.deepEqual(all, ['m0', 'm1', 'm2', 'm3']);
        assert.equal(a.bodies().length, 2);
        assert.equal(b.bodies().length, 2);
        assert.notDeepEqual(a.bodies(), b.bodies());
      } else {
        assert.deepEqual(a.bodies(), ['m0', 'm1', 'm2', 'm3']);
        assert.deepEqual(b.bodies(), ['m0', 'm1', 'm2', 'm3']);
      }
    });
  });
}
