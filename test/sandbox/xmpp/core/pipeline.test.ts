// Unit tests of the session manager core driven through SessionManagerPort with in-memory
// sessions: stage order in the trace, immutability, per-bare-JID ordering with an async
// processor, bounded queues, binding and conflicts, directed presence, components.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Plugin } from '../../../../sandbox/xmpp/core/plugin';
import { parseJid } from '../../../../sandbox/xmpp/jid';
import { FakeSession, makeCore, stanza, tick } from './fake-session';

test('trace: one packet goes arrival → preprocess → process → postprocess → filter → outcome', () => {
  const core = makeCore();
  core.registry.add({ id: 'pre', preProcess: () => false });
  core.registry.add({ id: 'filt', filter: () => undefined });
  const a = core.login('a@localhost/1');
  const b = core.login('b@localhost/1');
  const since = core.trace.lastSeq;
  core.sm.receive(a, stanza(`<message to='b@localhost/1' id='x'><body>hi</body></message>`));
  assert.deepEqual(b.bodies(), ['hi']);
  const p1 = core.trace.snapshot(since).filter((e) => e.packetId === core.trace.snapshot(since)[0]!.packetId);
  const shape = p1.map((e) => (e.type === 'stage' ? `${e.stage}:${e.phase}` : e.type === 'plugin' ? `plugin:${e.plugin}:${e.verdict}` : e.type));
  assert.deepEqual(shape, [
    'arrival',
    'preprocess:enter',
    'plugin:pre:passed',
    'preprocess:leave',
    'process:enter', // no processor wants an outgoing message: the stage is still shown, empty
    'process:leave',
    'postprocess:enter',
    'plugin:offline:passed',
    'plugin:sm:default:produced',
    'postprocess:leave',
    'filter:enter',
    'plugin:filt:passed',
    'filter:leave',
    'outcome',
  ]);
  const leave = p1.find((e) => e.type === 'stage' && e.phase === 'leave');
  assert.ok(leave && leave.type === 'stage' && typeof leave.durationUs === 'number' && leave.durationUs >= 0);
});

test('packets are frozen: a plugin that mutates one throws, is traced as error, and the stanza is delivered unchanged', () => {
  const core = makeCore();
  core.registry.add({
    id: 'mutator',
    preProcess(p) {
      (p.element.attrs as Record<string, string>).to = 'evil@localhost';
      return false;
    },
  });
  const a = core.login('a@localhost/1');
  const b = core.login('b@localhost/1');
  const since = core.trace.lastSeq;
  core.sm.receive(a, stanza(`<message to='b@localhost/1'><body>intact</body></message>`));
  assert.equal(b.sent.at(-1)!.attrs.to, 'b@localhost/1');
  assert.ok(Object.isFrozen(b.sent.at(-1)!.attrs));
  assert.ok(core.trace.snapshot(since).some((e) => e.type === 'plugin' && e.plugin === 'mutator' && e.verdict === 'error'));
});

test('an async processor keeps per-bare-JID order while different users interleave', async () => {
  const core = makeCore();
  const seen: string[] = [];
  const slow: Plugin = {
    id: 'slow',
    handles: [{ path: ['message'] }],
    directions: ['out'],
    async process(p) {
      const body = p.element.getChildText('body')!;
      await new Promise((r) => setTimeout(r, body === 'a0' ? 30 : 1));
      seen.push(body);
      return false;
    },
  };
  core.registry.add(slow);
  const a = core.login('a@localhost/1');
  const b = core.login('b@localhost/1');
  const sink = core.login('sink@localhost/1');
  for (let i = 0; i < 3; i++) {
    core.sm.receive(a, stanza(`<message to='sink@localhost/1'><body>a${i}</body></message>`));
    core.sm.receive(b, stanza(`<message to='sink@localhost/1'><body>b${i}</body></message>`));
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(seen.filter((s) => s.startsWith('a')), ['a0', 'a1', 'a2']);
  assert.deepEqual(seen.filter((s) => s.startsWith('b')), ['b0', 'b1', 'b2']);
  assert.notEqual(seen[0], 'a0', 'b was not held up behind a');
  assert.deepEqual(sink.bodies().filter((s) => s.startsWith('a')), ['a0', 'a1', 'a2']);
  assert.equal(sink.bodies().length, 6);
});

test('a full processor queue answers resource-constraint (verdict queue-full)', async () => {
  const core = makeCore({ xmpp: { processorQueueSize: 2 } });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  core.registry.add({
    id: 'gated',
    handles: [{ path: ['iq', 'work'], xmlns: 'urn:x:work' }],
    async process(_p, ctx) {
      await gate;
      ctx.result();
    },
  });
  const a = core.login('a@localhost/1');
  const since = core.trace.lastSeq;
  for (let i = 0; i < 3; i++) core.sm.receive(a, stanza(`<iq type='set' id='w${i}' to='localhost'><work xmlns='urn:x:work'/></iq>`));
  const err = a.sent.find((s) => s.attrs.id === 'w2')!;
  assert.equal(err.attrs.type, 'error');
  assert.ok(err.getChild('error')!.getChild('resource-constraint'));
  assert.ok(core.trace.snapshot(since).some((e) => e.type === 'plugin' && e.plugin === 'gated' && e.verdict === 'queue-full'));
  assert.equal(core.registry.info(2).find((p) => p.id === 'gated')!.queued, 2);
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(a.sent.filter((s) => s.attrs.type === 'result').map((s) => s.attrs.id), ['w0', 'w1']);
  assert.equal(core.registry.info(2).find((p) => p.id === 'gated')!.queued, 0);
});

test('bind generates sandbox-* resources and a second bind of the same full JID kicks the first with conflict', () => {
  const core = makeCore();
  const s1 = new FakeSession();
  const j = core.sm.bind(s1, parseJid('u@localhost'), null);
  assert.match(j.resource, /^sandbox-[0-9a-f]{8}$/);
  const s2 = new FakeSession();
  core.sm.bind(s2, parseJid('u@localhost'), 'r');
  const s3 = new FakeSession();
  core.sm.bind(s3, parseJid('u@localhost'), 'r');
  assert.equal(s2.closed, 'conflict');
  assert.equal(core.router.resource('u@localhost/r')!.session, s3);
  core.sm.ended(s2, []); // the stream layer reports the kicked session later: must not unbind s3
  assert.equal(core.router.resource('u@localhost/r')!.session, s3);
});

test('directed presence gets unavailable when the session ends; own resources see broadcast presence', () => {
  const core = makeCore();
  const a1 = core.login('a@localhost/1', 3);
  const a2 = core.login('a@localhost/2', 1);
  const b = core.login('b@localhost/1', null);
  core.sm.receive(a1, stanza(`<presence to='b@localhost/1'/>`));
  assert.equal(b.sent.at(-1)!.name, 'presence');
  // a2 saw a1's presence (and its own), a1 saw a2's.
  assert.ok(a2.sent.some((s) => s.name === 'presence' && s.attrs.from === 'a@localhost/1'));
  assert.ok(a1.sent.some((s) => s.name === 'presence' && s.attrs.from === 'a@localhost/2'));
  core.sm.ended(a1, []);
  const last = b.sent.at(-1)!;
  assert.equal(last.attrs.type, 'unavailable');
  assert.equal(last.attrs.from, 'a@localhost/1');
  assert.ok(a2.sent.some((s) => s.attrs.type === 'unavailable' && s.attrs.from === 'a@localhost/1'));
});

test('a message without to goes to the sender’s bare JID; presence to an unknown full JID is ignored', () => {
  const core = makeCore();
  const a = core.login('a@localhost/1');
  core.sm.receive(a, stanza(`<message><body>note to self</body></message>`));
  assert.deepEqual(a.bodies(), ['note to self']);
  const since = core.trace.lastSeq;
  core.sm.receive(a, stanza(`<presence to='b@localhost/nope'/>`));
  const outcomes = core.trace.snapshot(since).filter((e) => e.type === 'outcome');
  assert.equal(outcomes.at(-1)!.type === 'outcome' && outcomes.at(-1)!.outcome, 'ignored');
});

test('components: up/down bookkeeping, routing to the domain and its JIDs, a second component for a domain is refused', async () => {
  const core = makeCore({ xmpp: { components: { 'q.localhost': 's' } } });
  const comp = new FakeSession('component');
  comp.jid = parseJid('q.localhost');
  assert.equal(core.sm.componentUp(comp), true);
  const dup = new FakeSession('component');
  dup.jid = parseJid('q.localhost');
  assert.equal(core.sm.componentUp(dup), false);
  const a = core.login('a@localhost/1');
  core.sm.receive(a, stanza(`<message to='jobs@q.localhost'><body>w</body></message>`));
  assert.deepEqual(comp.bodies(), ['w']);
  core.sm.receive(comp, stanza(`<message from='jobs@q.localhost' to='a@localhost'><body>back</body></message>`));
  assert.deepEqual(a.bodies(), ['back']);
  core.sm.ended(comp, []);
  core.sm.receive(a, stanza(`<message id='m2' to='q.localhost'><body>w</body></message>`));
  const err = a.sent.at(-1)!;
  assert.equal(err.attrs.type, 'error');
  assert.ok(err.getChild('error')!.getChild('service-unavailable'));
  await tick();
});

test('a plugin that echoes forever is stopped as a routing loop, and the server goes on', () => {
  const core = makeCore();
  core.registry.add({
    id: 'echo',
    handles: [{ path: ['message'] }],
    directions: ['in'],
    process(p, ctx) {
      ctx.out(ctx.xml('message', { to: p.to!.full, from: p.from?.full }, ctx.xml('body', {}, 'again')));
    },
  });
  const a = core.login('a@localhost/1');
  core.sm.receive(a, stanza(`<message to='b@localhost'><body>start</body></message>`));
  assert.ok(core.logs.some((l) => /routing loop/.test(l)));
  const b = core.login('b@localhost/1');
  assert.equal(b.jid!.full, 'b@localhost/1');
});

test('bare-JID messages prefer live resources over a detached (XEP-0198) one; full-JID messages still reach it', () => {
  const core = makeCore();
  const top = core.login('w@localhost/top', 10);
  const low = core.login('w@localhost/low', 1);
  top.sm = 'detached';
  core.sm.detached(top);
  const p = core.login('p@localhost/1');
  core.sm.receive(p, stanza(`<message to='w@localhost'><body>job</body></message>`));
  assert.deepEqual(low.bodies(), ['job']);
  core.sm.receive(p, stanza(`<message to='w@localhost/top'><body>direct</body></message>`));
  assert.deepEqual(top.bodies(), ['direct']);
  low.sm = 'detached';
  core.sm.receive(p, stanza(`<message to='w@localhost'><body>queued</body></message>`));
  assert.deepEqual(top.bodies(), ['direct', 'queued'], 'all detached: the usual priority rule');
});
