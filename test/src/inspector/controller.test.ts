// The inspector's host side (src/inspector/controller.ts) over the real sandbox's control API
// (createSandbox, real @xmpp/client sessions): the ready handshake, batched trace delivery,
// validation before stanza.inject, clear, and a sandbox restart.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { xml } from '@xmpp/client';
import type { TraceEvent } from '../../../sandbox/trace/events';
import { InspectorController, type InspectorHostServices } from '../../../src/inspector/controller';
import { isSummaryEvent, type HostMessage } from '../../../src/protocol';
import { startRealSandbox, type ClientHandle, type RealSandbox } from '../../webview/real-sandbox';

function recorder(): { posted: HostMessage[]; logs: string[]; services: InspectorHostServices } {
  const posted: HostMessage[] = [];
  const logs: string[] = [];
  return {
    posted,
    logs,
    services: {
      saveJsonl: async () => '/dev/null',
      copy: async () => undefined,
      log: (level, m) => logs.push(`${level}: ${m}`),
    },
  };
}

const traceEvents = (posted: HostMessage[]): TraceEvent[] => posted.flatMap((m) => (m.type === 'trace' ? m.events : []));

async function until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('inspector controller on the real sandbox', () => {
  let sb: RealSandbox;
  let alice: ClientHandle;
  let bob: ClientHandle;
  before(async () => {
    sb = await startRealSandbox();
    alice = await sb.connect('alice', 'laptop');
    bob = await sb.connect('bob', 'phone');
    await alice.c.send(xml('presence'));
    await bob.c.send(xml('presence'));
  });
  after(() => sb.stop());

  test('posts nothing before ready; then init, then the history and live events in seq order, batched', async (t) => {
    const r = recorder();
    const ctl = new InspectorController(sb.backend, r.services, (m) => r.posted.push(m), { batchIntervalMs: 50 });
    t.after(() => ctl.dispose());
    await ctl.attached;
    await alice.c.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'before ready')));
    await bob.next((s) => s.getChildText('body') === 'before ready');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(r.posted.length, 0, 'the host waits for the webview');

    await ctl.receive({ type: 'ready' });
    assert.equal(r.posted[0]?.type, 'init');
    const init = r.posted[0] as Extract<HostMessage, { type: 'init' }>;
    assert.equal(init.running, true);
    assert.deepEqual(init.sessions.map((s) => s.bareJid).sort(), ['alice@localhost', 'bob@localhost']);
    assert.equal(init.domain, 'localhost');
    assert.deepEqual(init.components, []);
    const history = traceEvents(r.posted);
    assert.ok(history.some((e) => e.type === 'arrival' && e.xml.includes('before ready')), 'events from before the panel opened (snapshot)');

    // 40 messages: their events arrive in a few batches, not one message per event.
    const postsBefore = r.posted.length;
    for (let i = 0; i < 40; i++) await alice.c.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, `live ${i}`)));
    await bob.next((s) => s.getChildText('body') === 'live 39');
    await until(() => traceEvents(r.posted).filter((e) => e.type === 'arrival' && e.xml.includes('live 39')).length >= 1, 'live events');
    await new Promise((r) => setTimeout(r, 200));
    const live = r.posted.slice(postsBefore).filter((m) => m.type === 'trace');
    const liveEvents = traceEvents(live);
    assert.ok(liveEvents.length >= 40 * 4, `events for 40 messages (${liveEvents.length})`);
    assert.ok(live.length * 10 < liveEvents.length, `${live.length} messages for ${liveEvents.length} events`);
    const seqs = traceEvents(r.posted).map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'in seq order');
    assert.equal(new Set(seqs).size, seqs.length, 'no event twice');
    // Summaries only (the stage timeline comes on request), and every one of them: no gap between snapshot and live events.
    const last = seqs[seqs.length - 1]!;
    const ring = (await sb.control.call('trace.snapshot', {})).filter((e) => e.seq <= last);
    assert.deepEqual(seqs, ring.filter(isSummaryEvent).map((e) => e.seq), 'every summary event, in order, none missing');
    assert.ok(!traceEvents(r.posted).some((e) => e.type === 'stage'), 'no stage event in the live list');

    // The stage timeline of a packet, on request: the ring's every event of it; ids it does not hold are named.
    const arrival = liveEvents.find((e) => e.type === 'arrival' && e.xml.includes('live 39'))!;
    await ctl.receive({ type: 'detail', requestId: 7, packetIds: [arrival.packetId, 'p999999'] });
    const detail = r.posted.find((m): m is Extract<HostMessage, { type: 'detail' }> => m.type === 'detail' && m.requestId === 7);
    assert.ok(detail, 'the detail answer');
    assert.deepEqual(detail.missing, ['p999999']);
    assert.deepEqual(detail.events, ring.filter((e) => e.packetId === arrival.packetId));
    assert.equal(detail.events.filter((e) => e.type === 'stage').length, 8, 'four stages, entered and left');
  });

  test('send: the host re-validates, injects, answers with the packet id whose trace follows', async (t) => {
    const r = recorder();
    const ctl = new InspectorController(sb.backend, r.services, (m) => r.posted.push(m), { batchIntervalMs: 30 });
    t.after(() => ctl.dispose());
    await ctl.receive({ type: 'ready' });
    const before = (await sb.control.call('status', {})).lastTraceSeq;

    // Refused by the validator (not even a send) and by the XML check (no inject).
    await ctl.receive({ type: 'send', requestId: 1, as: 'alice@localhost/laptop', xml: '<iq/>', extra: true });
    assert.ok(r.logs.some((l) => /refused a webview message: send: unexpected field/.test(l)));
    await ctl.receive({ type: 'send', requestId: 2, as: 'alice@localhost/laptop', xml: '<iq type="get" to="localhost"><ping xmlns="urn:xmpp:ping"/></iq>' });
    const refused = r.posted.find((m) => m.type === 'sendResult' && m.requestId === 2);
    assert.ok(refused && refused.type === 'sendResult' && !refused.ok && /needs an id/.test(refused.error));
    assert.equal((await sb.control.call('status', {})).lastTraceSeq, before, 'nothing reached the pipeline');

    await ctl.receive({ type: 'send', requestId: 3, as: 'alice@localhost/laptop', xml: '<iq type="get" to="localhost" id="insp-1"><ping xmlns="urn:xmpp:ping"/></iq>' });
    const ok = r.posted.find((m) => m.type === 'sendResult' && m.requestId === 3);
    assert.ok(ok && ok.type === 'sendResult' && ok.ok, JSON.stringify(ok));
    const packetId = ok.packetId;
    await until(() => traceEvents(r.posted).some((e) => e.type === 'outcome' && e.packetId === packetId), 'the injected packet\u2019s outcome');
    const arrival = traceEvents(r.posted).find((e) => e.type === 'arrival' && e.packetId === packetId);
    assert.ok(arrival && arrival.type === 'arrival' && arrival.kind === 'iq' && arrival.xmlns === 'urn:xmpp:ping');
    // The sandbox's own error for a bad JID comes back as a sendResult error.
    await ctl.receive({ type: 'send', requestId: 4, as: 'no@@such', xml: '<message to="bob@localhost"><body>x</body></message>' });
    const bad = r.posted.find((m) => m.type === 'sendResult' && m.requestId === 4);
    assert.ok(bad && bad.type === 'sendResult' && !bad.ok, JSON.stringify(bad));
  });

  test('a text filter asked for before ready follows init; once ready it goes at once (Show in Inspector)', async (t) => {
    const r = recorder();
    const ctl = new InspectorController(sb.backend, r.services, (m) => r.posted.push(m), { batchIntervalMs: 50 });
    t.after(() => ctl.dispose());
    await ctl.attached;
    let posted = false;
    const early = ctl.setTextFilter('run:early').then(() => (posted = true));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(posted, false, 'nothing reaches the webview before its ready');
    assert.equal(r.posted.length, 0);
    await ctl.receive({ type: 'ready' });
    await early;
    const types = r.posted.map((m) => m.type);
    assert.equal(types[0], 'init');
    assert.deepEqual(r.posted.filter((m) => m.type === 'setTextFilter'), [{ type: 'setTextFilter', text: 'run:early' }]);
    await ctl.setTextFilter('run:later');
    assert.deepEqual(r.posted.at(-1), { type: 'setTextFilter', text: 'run:later' });
  });

  test('clear forgets the history; a reloaded webview gets only what came after', async (t) => {
    const r = recorder();
    const ctl = new InspectorController(sb.backend, r.services, (m) => r.posted.push(m), { batchIntervalMs: 30 });
    t.after(() => ctl.dispose());
    await ctl.receive({ type: 'ready' });
    assert.ok(ctl.history.size > 0);
    await ctl.receive({ type: 'clear' });
    assert.equal(ctl.history.size, 0);
    await alice.c.send(xml('message', { to: 'bob@localhost', type: 'chat' }, xml('body', {}, 'after clear')));
    await bob.next((s) => s.getChildText('body') === 'after clear');
    await until(() => ctl.history.size > 0, 'new events');
    r.posted.length = 0;
    await ctl.receive({ type: 'ready' });
    const refill = traceEvents(r.posted);
    assert.ok(refill.length > 0 && refill.every((e) => e.type !== 'arrival' || e.xml.includes('after clear')), 'only events after the clear');
  });

  test('a sandbox restart keeps the earlier run and traces the new one', async (t) => {
    const r = recorder();
    const ctl = new InspectorController(sb.backend, r.services, (m) => r.posted.push(m), { batchIntervalMs: 30 });
    t.after(() => ctl.dispose());
    await ctl.receive({ type: 'ready' });
    r.posted.length = 0;
    await sb.restart();
    await ctl.attached;
    const types = r.posted.map((m) => m.type);
    assert.deepEqual(types.slice(0, 3), ['running', 'newSandboxRun', 'reset'], types.join());
    assert.deepEqual(r.posted[0], { type: 'running', running: false, domain: 'localhost' });
    assert.deepEqual(r.posted[1], { type: 'newSandboxRun', sandboxRun: 2 });
    // The refill that follows re-sends the earlier run, tagged, before the new run's events.
    const earlier = r.posted.filter((m): m is Extract<HostMessage, { type: 'trace' }> => m.type === 'trace' && m.sandboxRun === 1);
    assert.ok(earlier.length > 0 && earlier.every((m) => m.events.length > 0), 'the earlier run is posted again, tagged with its run');
    assert.ok(ctl.history.earlierRuns().length === 1);
    const carol = await sb.connect('carol', 'desk');
    await carol.c.send(xml('presence'));
    await until(() => traceEvents(r.posted).some((e) => e.type === 'arrival' && e.from === 'carol@localhost/desk'), 'the new run’s events');
    const firstNewRunTrace = r.posted.findIndex((m) => m.type === 'trace' && m.sandboxRun === undefined);
    assert.ok(firstNewRunTrace > types.indexOf('newSandboxRun'), 'the webview hears of the new run before it sees its events');
    assert.ok(r.posted.some((m) => m.type === 'running' && m.running));
  });
});
