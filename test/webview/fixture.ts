// A hand-written trace that follows sandbox/trace/events.ts exactly, shaped like what the
// sandbox's pipeline emits (Tigase SessionManager stages: docs/architecture.md). Used when a recording
// from the real sandbox is not available, and for the 100,000-event scale test.

import { TRACE_SCHEMA_VERSION, type Outcome, type PacketTraceEvent, type Stage, type StanzaKind, type TraceEvent, type Verdict } from '../../sandbox/trace/events';

export class TraceWriter {
  readonly events: TraceEvent[] = [];
  private seq: number;
  private packet = 0;
  private readonly prefix: string;
  ts: number;

  /** `after` continues a trace: seq numbers and time go on from it; `prefix` keeps packet ids apart. */
  constructor(opts: { after?: readonly TraceEvent[]; prefix?: string } = {}) {
    const last = opts.after?.[opts.after.length - 1];
    this.seq = last?.seq ?? 0;
    this.ts = last ? last.ts + 1 : Date.UTC(2026, 10, 22, 16, 0, 0);
    this.prefix = opts.prefix ?? 'p';
  }

  private push(e: Record<string, unknown>): void {
    this.ts += 0.05;
    this.events.push({ v: TRACE_SCHEMA_VERSION, seq: ++this.seq, ts: this.ts, ...e } as unknown as PacketTraceEvent);
  }

  /**
   * One packet's whole path. `plugins` lists, per stage, [plugin, verdict, produced?]; stages
   * after a 'blocked' preprocess are skipped, as the pipeline does.
   */
  packet_(p: {
    kind: StanzaKind;
    type: string;
    from?: string;
    to?: string;
    id?: string;
    xmlns?: string;
    child?: string;
    xml: string;
    direction: 'in' | 'out';
    source?: Record<string, string>;
    parentId?: string;
    producedBy?: string;
    stored?: { packetId: string; stamp: string };
    plugins?: Partial<Record<Stage, [string, Verdict, string[]?, string?][]>>;
    outcome: Outcome;
    outcomeExtra?: Record<string, unknown>;
  }): string {
    const packetId = `${this.prefix}${++this.packet}`;
    this.push({
      type: 'arrival',
      packetId,
      source: p.source ?? { kind: 'c2s', sessionId: 's1', jid: p.from, transport: 'tcp' },
      direction: p.direction,
      kind: p.kind,
      stanzaType: p.type,
      from: p.from,
      to: p.to,
      id: p.id,
      xmlns: p.xmlns,
      child: p.child,
      xml: p.xml,
      bytes: p.xml.length,
      parentId: p.parentId,
      producedBy: p.producedBy,
      stored: p.stored,
    });
    const stages: Stage[] = ['preprocess', 'process', 'postprocess', 'filter'];
    let stopped = false;
    for (const stage of stages) {
      if (stopped) break;
      this.push({ type: 'stage', packetId, stage, phase: 'enter' });
      for (const [plugin, verdict, produced, reason] of p.plugins?.[stage] ?? []) {
        this.push({ type: 'plugin', packetId, stage, plugin, verdict, durationUs: 12 + (this.seq % 40), produced, reason });
        if (verdict === 'blocked') stopped = true;
      }
      this.push({ type: 'stage', packetId, stage, phase: 'leave', durationUs: 30 + (this.seq % 50) });
    }
    this.push({ type: 'outcome', packetId, outcome: p.outcome, totalUs: 180 + (this.seq % 300), ...p.outcomeExtra });
    return packetId;
  }

  /** The id the next packet_ call will get. */
  nextId(offset = 1): string {
    return `${this.prefix}${this.packet + offset}`;
  }

  /** alice → bob chat: P1 (out, for alice) produces P2 (in, for bob), delivered. */
  chat(from: string, to: string, body: string): [string, string] {
    const xml = `<message xmlns="jabber:client" type="chat" from="${from}" to="${to}" id="m${this.packet}"><body>${escapeXml(body)}</body></message>`;
    const p2 = this.nextId(2);
    const p1 = this.packet_({
      kind: 'message', type: 'chat', from, to, id: `m${this.packet}`, child: 'body', xml, direction: 'out',
      plugins: {
        preprocess: [['privacy', 'passed'], ['carbons', 'passed']],
        process: [['message-router', 'produced', [p2]]],
        postprocess: [['archive', 'passed']],
        filter: [['packet-filter', 'passed']],
      },
      outcome: 'forwarded', outcomeExtra: { produced: [p2] },
    });
    const bare = to.split('/')[0]!;
    this.packet_({
      kind: 'message', type: 'chat', from, to, id: `m${this.packet - 1}`, child: 'body', xml, direction: 'in',
      source: { kind: 'plugin' }, parentId: p1, producedBy: 'message-router',
      plugins: { preprocess: [['privacy', 'passed']], process: [['message-router', 'passed']], postprocess: [['offline', 'passed']], filter: [['packet-filter', 'passed']] },
      outcome: 'delivered', outcomeExtra: { to: [to.includes('/') ? to : `${bare}/phone`] },
    });
    return [p1, p2];
  }

  /** A ping to the server: answered with an iq result (produced, delivered to the sender). */
  ping(from: string, domain: string, id: string): [string, string] {
    const res = this.nextId(2);
    const req = this.packet_({
      kind: 'iq', type: 'get', from, to: domain, id, xmlns: 'urn:xmpp:ping', child: 'ping', direction: 'out',
      xml: `<iq xmlns="jabber:client" type="get" from="${from}" to="${domain}" id="${id}"><ping xmlns="urn:xmpp:ping"/></iq>`,
      plugins: { preprocess: [['privacy', 'passed']], process: [['ping', 'produced', [res]]], postprocess: [], filter: [['packet-filter', 'passed']] },
      outcome: 'handled', outcomeExtra: { plugin: 'ping', produced: [res] },
    });
    this.packet_({
      kind: 'iq', type: 'result', from: domain, to: from, id, direction: 'in', source: { kind: 'server' }, parentId: req, producedBy: 'ping',
      xml: `<iq xmlns="jabber:client" type="result" from="${domain}" to="${from}" id="${id}"/>`,
      plugins: { preprocess: [], process: [], postprocess: [], filter: [['packet-filter', 'passed']] },
      outcome: 'delivered', outcomeExtra: { to: [from] },
    });
    return [req, res];
  }

  offline(from: string, to: string, body: string): string {
    return this.packet_({
      kind: 'message', type: 'chat', from, to, child: 'body', direction: 'out',
      xml: `<message xmlns="jabber:client" type="chat" from="${from}" to="${to}"><body>${escapeXml(body)}</body></message>`,
      plugins: { preprocess: [['privacy', 'passed']], process: [['message-router', 'passed']], postprocess: [['offline', 'handled']], filter: [] },
      outcome: 'stored-offline', outcomeExtra: { to: [to] },
    });
  }

  /** A stored message delivered out of the offline store (XEP-0160 flood), linked to the stored packet. */
  delivery(stored: string, from: string, to: string, body: string): string {
    const at = this.events.find((e) => e.type === 'outcome' && e.packetId === stored)!.ts;
    return this.packet_({
      kind: 'message', type: 'chat', from, to, child: 'body', direction: 'in', source: { kind: 'server', jid: to.split('/')[0]! }, producedBy: 'offline',
      stored: { packetId: stored, stamp: new Date(at).toISOString() },
      xml: `<message xmlns="jabber:client" type="chat" from="${from}" to="${to.split('/')[0]}"><body>${escapeXml(body)}</body><delay xmlns="urn:xmpp:delay" from="localhost"/></message>`,
      outcome: 'delivered', outcomeExtra: { to: [to] },
    });
  }

  /** A stanza the bridge popped from the outbox, delivered to `to`. */
  bridged(to: string, body: string): string {
    return this.packet_({
      kind: 'message', type: 'chat', from: 'bridge.localhost', to, id: 'bridged-1', child: 'body', direction: 'in',
      source: { kind: 'component', sessionId: 'comp-1', jid: 'bridge.localhost', transport: 'component', queue: 'xmpp:outbox' },
      xml: `<message type="chat" to="${to}" id="bridged-1" from="bridge.localhost"><body>${escapeXml(body)}</body></message>`,
      plugins: { process: [['message', 'produced']] },
      outcome: 'delivered', outcomeExtra: { to: [to] },
    });
  }

  /** An item the bridge refused; returns its row's key. */
  deadLetter(item: string, reason: string): string {
    this.push({ type: 'queue', op: 'dead-letter', key: 'xmpp:outbox', dest: 'xmpp:outbox:dead', length: 1, count: 1, client: 'xmpp-bridge', reason, item });
    return `dead${this.seq}`;
  }

  bounced(from: string, to: string): string {
    return this.packet_({
      kind: 'iq', type: 'get', from, to, id: 'v1', xmlns: 'jabber:iq:version', child: 'query', direction: 'out',
      xml: `<iq xmlns="jabber:client" type="get" from="${from}" to="${to}" id="v1"><query xmlns="jabber:iq:version"/></iq>`,
      plugins: { preprocess: [['privacy', 'passed']], process: [['iq-router', 'produced']], postprocess: [], filter: [] },
      outcome: 'bounced', outcomeExtra: { error: 'service-unavailable' },
    });
  }

  blocked(from: string, to: string): string {
    return this.packet_({
      kind: 'message', type: 'normal', from, to, child: 'body', direction: 'out',
      xml: `<message xmlns="jabber:client" from="${from}" to="${to}"><body>spam</body></message>`,
      plugins: { preprocess: [['privacy', 'blocked', undefined, 'blocked by the privacy list']] },
      outcome: 'blocked', outcomeExtra: { plugin: 'privacy', reason: 'blocked by the privacy list' },
    });
  }

  presence(from: string): string {
    return this.packet_({
      kind: 'presence', type: 'available', from, direction: 'out',
      xml: `<presence xmlns="jabber:client" from="${from}"><priority>1</priority></presence>`,
      plugins: { preprocess: [['privacy', 'passed']], process: [['presence', 'handled']], postprocess: [], filter: [] },
      outcome: 'handled', outcomeExtra: { plugin: 'presence' },
    });
  }
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export const XSS_BODIES = ['<img src=x onerror=alert(1)>', '</script><script>alert(1)</script>'];

/** The scenario the tests check: two clients chatting, a ping, an offline user served later, errors, XSS bodies, the bridge. */
export function scenarioTrace(): { events: TraceEvent[]; ids: Record<string, string> } {
  const w = new TraceWriter();
  const alice = 'alice@localhost/laptop';
  const bob = 'bob@localhost/phone';
  w.presence(alice);
  w.presence(bob);
  const [chat1, chat2] = w.chat(alice, 'bob@localhost', 'Hello Bob');
  const [reply1] = w.chat(bob, alice, 'Hi Alice');
  const [ping, pong] = w.ping(alice, 'localhost', 'ping-1');
  const offline = w.offline(alice, 'carol@localhost', 'You were away');
  const bounced = w.bounced(alice, 'dave@localhost/none');
  const blocked = w.blocked(bob, alice);
  const [xss1] = w.chat(alice, 'bob@localhost', XSS_BODIES[0]!);
  const [xss2] = w.chat(alice, 'bob@localhost', XSS_BODIES[1]!);
  w.presence('carol@localhost/desk');
  const delivery = w.delivery(offline, alice, 'carol@localhost/desk', 'You were away');
  const bridged = w.bridged(bob, 'From the queue');
  const deadLetter = w.deadLetter('<message type="chat"><body>nowhere to go</body></message>', 'the stanza has no "to" address (XEP-0114 requires one)');
  return { events: w.events, ids: { chat1, chat2, reply1, ping, pong, offline, bounced, blocked, xss1, xss2, delivery, bridged, deadLetter } };
}

/** At least `minEvents` events of realistic traffic; returns the packet count. */
export function bulkTrace(minEvents: number): { events: TraceEvent[]; packets: number; lastId: string; lastRow: string } {
  const w = new TraceWriter();
  let n = 0;
  let lastId = '';
  let lastRow = '';
  while (w.events.length < minEvents) {
    const [p1, p2] = w.chat(`user${n % 50}@localhost/r`, `user${(n + 1) % 50}@localhost`, `message ${n}`);
    lastId = p2;
    lastRow = p1;
    n++;
  }
  return { events: w.events, packets: n * 2, lastId, lastRow };
}
