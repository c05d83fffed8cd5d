// Row filters. Each criterion is optional; a packet is shown when it passes all of them.
// Matching is case-insensitive. DOM-free (tested in plain Node).

import type { FilterState } from '../src/protocol';
import { bareOf, type PacketRecord } from './model';

export const EMPTY_FILTERS: FilterState = { jid: '', kind: '', stanzaType: '', xmlns: '', outcome: '', plugin: '', text: '' };

export type PacketPredicate = (p: PacketRecord) => boolean;

/**
 * Compile the filter state into one predicate. When `active`, a packet's match can change
 * after its arrival (its outcome and plugin verdicts come later), so the list re-tests
 * updated packets as well as new ones.
 */
export function compileFilters(f: FilterState): { test: PacketPredicate; active: boolean } {
  const tests: PacketPredicate[] = [];
  const jid = f.jid.trim().toLowerCase();
  if (jid) {
    // A full JID (with '/') must match exactly; a bare JID (or a domain) matches any resource.
    const full = jid.includes('/');
    const hit = (addr: string | undefined): boolean => {
      if (!addr) return false;
      const a = addr.toLowerCase();
      return full ? a === jid : bareOf(a) === jid;
    };
    tests.push((p) => hit(p.arrival?.from) || hit(p.arrival?.to));
  }
  if (f.kind) tests.push((p) => p.arrival?.kind === f.kind);
  const type = f.stanzaType.trim().toLowerCase();
  if (type) tests.push((p) => p.arrival?.stanzaType.toLowerCase() === type);
  const xmlns = f.xmlns.trim().toLowerCase();
  if (xmlns) tests.push((p) => (p.arrival?.xmlns ?? '').toLowerCase().includes(xmlns));
  if (f.outcome) {
    tests.push(f.outcome === 'pending' ? (p) => !p.outcome : (p) => p.outcome?.outcome === f.outcome);
  }
  const plugin = f.plugin.trim().toLowerCase();
  if (plugin) tests.push((p) => p.plugins.some((e) => e.plugin.toLowerCase().includes(plugin)));
  const text = f.text.trim().toLowerCase();
  // `run:<tag>`: the stanzas of one scenario run (ArrivalEvent.run, which the runner tags).
  const run = /^run:\s*(\S+)$/.exec(text)?.[1];
  if (run) tests.push((p) => (p.arrival?.run ?? '').toLowerCase() === run);
  else if (text) {
    tests.push((p) => {
      const a = p.arrival;
      const id = p.packetId.toLowerCase() === text || p.id.toLowerCase() === text;
      // A dead letter: its lists, its reason, the item's text.
      const d = p.deadLetter;
      if (d) return id || [d.key, d.dest, d.reason, d.item].some((x) => (x ?? '').toLowerCase().includes(text));
      if (!a) return id;
      return (
        id ||
        a.xml.toLowerCase().includes(text) ||
        (a.from ?? '').toLowerCase().includes(text) ||
        (a.to ?? '').toLowerCase().includes(text) ||
        (p.outcome?.error ?? '').toLowerCase().includes(text) ||
        (p.outcome?.reason ?? '').toLowerCase().includes(text)
      );
    });
  }
  return { test: tests.length === 0 ? () => true : (p) => tests.every((t) => t(p)), active: tests.length > 0 };
}
