// How trace values read in the UI: outcome labels, times, durations. DOM-free.

import type { Outcome, Verdict } from '../src/protocol';
import type { PacketRecord } from './model';

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

export const OUTCOME_ICONS: Record<Outcome | 'pending', string> = {
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
  const a = p.arrival;
  return a ? `${a.kind}/${a.stanzaType}` : '?';
}
