// How trace values read in the UI: outcome labels, times, durations. DOM-free.

import type { Outcome, Verdict } from '../src/protocol';
import type { PacketModel, PacketRecord } from './model';

export const OUTCOME_LABELS: Record<Outcome, string> = {
  delivered: 'delivered',
  forwarded: 'forwarded',
  'stored-offline': 'stored offline',
  bounced: 'bounced with error',
  blocked: 'blocked by plugin',
  dropped: 'dropped by filter',
  handled: 'handled',
  ignored: 'ignored',
};

/** What a row says about where its stanza ended: the trace's outcome, or what the inspector knows on top of it. */
export type Status = Outcome | 'pending' | 'delivered-later' | 'dead-lettered';

export const OUTCOME_ICONS: Record<Status, string> = {
  'delivered-later': 'history',
  'dead-lettered': 'warning',
  delivered: 'pass',
  forwarded: 'arrow-right',
  'stored-offline': 'archive',
  bounced: 'error',
  blocked: 'circle-slash',
  dropped: 'trash',
  handled: 'check',
  ignored: 'eye-closed',
  pending: 'loading',
};

export const VERDICT_ICONS: Record<Verdict, string> = {
  passed: 'arrow-small-right',
  blocked: 'circle-slash',
  handled: 'check',
  produced: 'output',
  dropped: 'trash',
  error: 'error',
  'queue-full': 'warning',
};

/** The outcome as a short phrase, with its detail (error condition, plugin, target). */
export function outcomeText(p: PacketRecord): string {
  const o = p.outcome;
  if (!o) return 'pending';
  const label = OUTCOME_LABELS[o.outcome] ?? o.outcome;
  switch (o.outcome) {
    case 'bounced':
      return o.error ? `${label} (${o.error})` : label;
    case 'blocked':
    case 'dropped':
      return o.plugin ? `${label} ${o.plugin}` : label;
    default:
      return label;
  }
}

/**
 * The status of one packet: its outcome, except that a stored packet a later delivery got to
 * its receiver reads "delivered later", and a refused queue item "dead-lettered" with the reason.
 */
export function statusOf(p: PacketRecord, model: PacketModel): { status: Status; text: string } {
  if (p.deadLetter) return { status: 'dead-lettered', text: `dead-lettered: ${p.deadLetter.reason ?? ''}` };
  if (model.deliveredLater(p)) return { status: 'delivered-later', text: 'delivered later' };
  return { status: p.outcome?.outcome ?? 'pending', text: outcomeText(p) };
}

/**
 * A JID as the list shows it: the sandbox's own domain left out of user JIDs (`alice/laptop`
 * for alice@localhost/laptop), kept everywhere else (the server itself, components, remote JIDs).
 */
export function shortJid(jid: string | undefined, domain: string | null): string {
  if (!jid) return '—';
  if (!domain) return jid;
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  const suffix = `@${domain}`;
  if (!bare.toLowerCase().endsWith(suffix.toLowerCase()) || bare.length === suffix.length) return jid;
  return bare.slice(0, -suffix.length) + (slash === -1 ? '' : jid.slice(slash));
}

/** Where a packet entered the sandbox, in words. */
export function sourceText(p: PacketRecord): string {
  const src = p.arrival?.source;
  if (!src) return '—';
  // A stanza the bridge popped from a queue list: that list is where it really came from.
  if (src.queue) return `popped from ${src.queue}`;
  return [src.kind, src.transport, src.jid, src.sessionId].filter(Boolean).join(' · ');
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** HH:MM:SS.mmm in local time. */
export function clock(ts: number): string {
  const d = new Date(ts);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** µs as a compact duration: 850 µs, 12.3 ms, 1.20 s. */
export function duration(us: number | undefined): string {
  if (us === undefined) return '';
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

export function kindText(p: PacketRecord): string {
  if (p.deadLetter) return 'dead letter';
  const a = p.arrival;
  return a ? `${a.kind}/${a.stanzaType}` : '?';
}
