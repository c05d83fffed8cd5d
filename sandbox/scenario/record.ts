// Record: a selection of the sandbox's trace (a time range and/or some sessions, out of the
// ring's snapshot) as a scenario script (.scs, docs/scenarios.md) that replays it. The inspector's
// Save as Scenario writes its result (control method trace.record).
//
// - Characters: every c2s session (its full JID) and component (its domain) that sent a
//   selected stanza or had one delivered to it, with the password the sandbox accepts for it.
// - `X sends:` for each stanza a selected session sent, as it entered the pipeline minus the
//   `from` the server stamped (RFC 6120 §8.1.2.1: the server sets it; a component writes its own).
// - `Y receives:` for each stanza the trace delivered to a selected session, in delivery order,
//   when what caused it is in the script too (a selected session's stanza, or the server's own,
//   such as an offline flood): a stanza another, unrecorded, peer sent would never come in a replay.
// - Volatile values are `{scansion:any}` in what is received (ids, XEP-0203 stamps, resources the
//   server generated for peers that are not characters); the characters' JIDs become variables.
// - `X connects` comes before the first step that needs X (its first send, or the send that
//   caused its first receive); `X disconnects` where the trace shows its session end.
//
// Pure: no I/O; the trace events and the sandbox's credentials are parameters.

import type { Element } from '@xmpp/xml';
import type { ArrivalEvent, OutcomeEvent, TraceEvent } from '../trace/events';
import { STANZA_NAMESPACES } from '../xmpp/vocabulary';
import { ANY, prettyXml } from './matcher';
import { parseXmlBlock } from './parser';

export interface RecordSelection {
  /** Time range, ms since the epoch (ArrivalEvent.ts), inclusive; open when left out. */
  from?: number;
  to?: number;
  /** Only these sessions: full JIDs of c2s sessions (a bare JID: all its resources), or component domains. All when left out. */
  jids?: readonly string[];
}

export interface RecordOptions {
  /** The password of an account (bare JID), as the sandbox accepts it. */
  password(bareJid: string): string;
  /** A component's secret. */
  secret(domain: string): string;
  /** Says where the trace came from, in the script's header (e.g. the sandbox's c2s address). */
  origin?: string;
  title?: string;
}

/** A generated resource (session-manager's bind): replaced by {scansion:any}, not requested on replay. */
const GENERATED_RESOURCE = /^sandbox-[0-9a-f]{8}$/;
/** Attributes whose values differ on every run. */
const VOLATILE_ATTRIBUTES = new Set(['id', 'stamp']);
const STREAM_NAMESPACES: readonly string[] = Object.values(STANZA_NAMESPACES);

interface Character {
  name: string;
  class: 'Client' | 'Component';
  /** Full JID (Client) or domain (Component): how the trace names it. */
  address: string;
  bare: string;
}

interface Step {
  ts: number;
  /** At one time stamp: connects (0) before sends and receives (1). */
  order: number;
  who: Character;
  verb: 'connects' | 'disconnects' | 'sends' | 'receives';
  packet?: ArrivalEvent;
}

const resourceOf = (jid: string) => (jid.includes('/') ? jid.slice(jid.indexOf('/') + 1) : '');
const bareOf = (jid: string) => jid.split('/')[0]!;

/** Capitalised local part (or first domain label), unique among `taken`: `Romeo`, `Romeo 2`. */
function characterName(address: string, component: boolean, taken: Set<string>): string {
  const base = (component ? address.split('.')[0]! : bareOf(address).split('@')[0]!).replace(/^[^A-Za-z0-9]+/, '') || 'Peer';
  const stem = base[0]!.toUpperCase() + base.slice(1);
  let name = stem;
  for (let k = 2; taken.has(name); k++) name = `${stem} ${k}`;
  taken.add(name);
  return name;
}

/** The trace's selection as a .scs script that replays it; throws (code 'not-found') when it holds no session's stanza. */
export function recordScenario(events: readonly TraceEvent[], selection: RecordSelection, opts: RecordOptions): string {
  const inRange = (ts: number) => (selection.from === undefined || ts >= selection.from) && (selection.to === undefined || ts <= selection.to);
  const chosen = selection.jids && new Set(selection.jids);
  const selected = (address: string) => !chosen || chosen.has(address) || chosen.has(bareOf(address));

  const arrivals = new Map<string, ArrivalEvent>();
  for (const e of events) if (e.type === 'arrival') arrivals.set(e.packetId, e);
  const rootOf = (a: ArrivalEvent): ArrivalEvent => {
    let r = a;
    for (let p = r.parentId && arrivals.get(r.parentId); p; p = r.parentId && arrivals.get(r.parentId)) r = p;
    return r;
  };
  /** The session a packet came from (full JID or component domain), when it came from one. */
  const sender = (a: ArrivalEvent): string | undefined => (a.source.sessionId !== undefined && a.source.kind !== 'server' && a.source.jid ? a.source.jid : undefined);

  const characters = new Map<string, Character>();
  const names = new Set<string>();
  const character = (address: string, component: boolean): Character => {
    let c = characters.get(address);
    if (!c) {
      c = { name: characterName(address, component, names), class: component ? 'Component' : 'Client', address, bare: component ? address : bareOf(address) };
      characters.set(address, c);
    }
    return c;
  };
  const isComponent = (address: string) => !address.includes('@');

  const steps: Step[] = [];
  let leftOut = 0;
  for (const e of events) {
    // The presence the server sends on a session's behalf when it ends (session-manager endResource).
    if (e.type === 'arrival' && e.source.kind === 'server' && e.source.sessionId && e.kind === 'presence' && e.stanzaType === 'unavailable' && e.source.jid && inRange(e.ts)) {
      const c = characters.get(e.source.jid);
      if (c) steps.push({ ts: e.ts, order: 2, who: c, verb: 'disconnects' });
    }
    if (e.type === 'arrival') {
      const from = sender(e);
      if (!from || e.parentId || !inRange(e.ts) || !selected(from)) continue;
      steps.push({ ts: e.ts, order: 1, who: character(from, e.source.kind === 'component'), verb: 'sends', packet: e });
    } else if (e.type === 'outcome' && e.outcome === 'delivered' && inRange(e.ts)) {
      const packet = arrivals.get(e.packetId);
      if (!packet) continue;
      const root = rootOf(packet);
      const cause = sender(root);
      for (const to of (e as OutcomeEvent).to ?? []) {
        if (!selected(to)) continue;
        // What a peer outside the recording sent would not come again on replay.
        if (cause !== undefined && (!selected(cause) || !inRange(root.ts))) {
          leftOut++;
          continue;
        }
        const who = character(to, isComponent(to));
        steps.push({ ts: e.ts, order: 1, who, verb: 'receives', packet });
        steps.push({ ts: root.ts, order: 0, who, verb: 'connects' });
      }
    }
  }
  for (const s of steps) if (s.verb === 'sends') steps.push({ ts: s.ts, order: 0, who: s.who, verb: 'connects' });
  steps.sort((a, b) => a.ts - b.ts || a.order - b.order);

  const byBare = new Map<string, Character>();
  for (const c of characters.values()) if (!byBare.has(c.bare)) byBare.set(c.bare, c);
  const variable = (value: string): string | null => {
    const full = characters.get(value);
    if (full) return full.class === 'Component' ? `\${${full.name}'s JID}` : `\${${full.name}'s full JID}`;
    const bare = byBare.get(value);
    return bare ? `\${${bare.name}'s JID}` : null;
  };
  const body = (a: ArrivalEvent, received: boolean): string => {
    const parsed = parseXmlBlock(a.xml);
    if (!parsed.ok) return a.xml; // the trace holds what the stream parsed: not expected
    const el = parsed.element;
    if (STREAM_NAMESPACES.includes(el.attrs.xmlns)) delete el.attrs.xmlns;
    if (!received && a.source.kind === 'c2s') delete el.attrs.from;
    // Variables are put in after rendering: the renderer would escape their apostrophe.
    const vars: string[] = [];
    rewrite(el, received, (value) => {
      const v = variable(value);
      return v === null ? null : `scansion-variable-${vars.push(v) - 1}-`;
    });
    return prettyXml(el).replace(/scansion-variable-(\d+)-/g, (_, k: string) => vars[Number(k)]!);
  };

  if (characters.size === 0) {
    throw Object.assign(new Error('nothing to record: no session sent or received a stanza in the selection'), { code: 'not-found' });
  }
  const lines: string[] = [];
  const first = steps.find((s) => s.verb !== 'connects');
  const last = [...steps].reverse().find((s) => s.verb !== 'connects');
  const iso = (ts: number | undefined) => (ts === undefined ? '…' : new Date(ts).toISOString());
  lines.push(`# ${opts.title ?? 'Recorded from the sandbox trace'}`);
  lines.push(`# Recorded from the trace of ${opts.origin ?? 'the sandbox'}: ${iso(selection.from ?? first?.ts)} to ${iso(selection.to ?? last?.ts)}${chosen ? `, sessions ${[...chosen].join(', ')}` : ''}.`);
  lines.push(`# Ids, time stamps and generated resources are {scansion:any}.${leftOut ? ` Left out: ${leftOut} stanza${leftOut === 1 ? '' : 's'} caused by peers outside the selection.` : ''}`);
  lines.push('');
  for (const c of characters.values()) {
    lines.push(`[${c.class}] ${c.name}`);
    const resource = resourceOf(c.address);
    lines.push(`\tjid: ${c.class === 'Client' && GENERATED_RESOURCE.test(resource) ? c.bare : c.address}`);
    lines.push(`\tpassword: ${c.class === 'Client' ? opts.password(c.bare) : opts.secret(c.address)}`);
    lines.push('');
  }
  lines.push('---------');

  const connected = new Set<Character>();
  for (const s of steps) {
    if (s.verb === 'connects') {
      if (connected.has(s.who)) continue;
      connected.add(s.who);
    } else if (s.verb === 'disconnects') {
      if (!connected.delete(s.who)) continue;
    }
    lines.push('');
    if (s.packet) lines.push(`# trace packet ${s.packet.packetId}`);
    if (!s.packet) lines.push(`${s.who.name} ${s.verb}`);
    else lines.push(`${s.who.name} ${s.verb}:`, ...body(s.packet, s.verb === 'receives').split('\n').map((l) => `\t${l}`));
  }
  return lines.join('\n') + '\n';
}

/** Characters' JIDs as variables; in what is received, volatile values as {scansion:any}. */
function rewrite(el: Element, received: boolean, variable: (value: string) => string | null): void {
  for (const [k, v] of Object.entries(el.attrs)) {
    if (typeof v !== 'string' || k === 'xmlns') continue;
    const name = variable(v);
    if (name) el.attrs[k] = name;
    else if (received && (VOLATILE_ATTRIBUTES.has(k) || GENERATED_RESOURCE.test(resourceOf(v)))) el.attrs[k] = ANY;
  }
  for (const child of el.getChildElements()) rewrite(child, received, variable);
}
