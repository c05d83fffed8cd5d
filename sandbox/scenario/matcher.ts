// Scansion's matching rules (its Client class documentation, "Matching rules"; docs/scenarios.md):
// does a received stanza match the one a script expects?
//
// - Non-strict (the default): every attribute of the expected element must be in the received
//   one with the same value; extra attributes are ignored. Every expected child must match a
//   distinct received child, in any order; extra children are ignored. Text is compared
//   trimmed, and only when the expected element has some.
// - Strict (`scansion:strict='true'` on an element, inherited by its children until one says
//   'false'): no extra attributes, the same children in the same order, the same trimmed text.
// - `{scansion:any}` as an attribute value: the attribute must be there, with any value; as an
//   element's whole text: any text.
// - Elements are compared by local name and namespace; a stanza's own namespace (jabber:client,
//   jabber:component:accept, jabber:server: RFC 6120 §4.8.3, XEP-0114) is the stream's default,
//   so `<message/>` in a script matches a message from either stream.
//
// A failed match says why (one line a problem, with the element's path) and shows a diff of the
// expected element against the received one as the rules see it: what is ignored is left out,
// so the lines that differ are the ones that matter. Pure: no I/O.

import type { Element } from '@xmpp/xml';
import { STANZA_NAMESPACES } from '../xmpp/vocabulary';
import { escapeAttr, escapeText } from '../xmpp/xml/serialize';
import { NS_SCANSION } from './parser';

/** Matches any attribute value, or any text. */
export const ANY = '{scansion:any}';

export interface MatchResult {
  ok: boolean;
  /** Why not, one line each, e.g. `/message/body: text "Hi", expected "Hello"`. Empty when ok. */
  problems: string[];
  /** Expected ('-') against received ('+') as the rules compare them; empty when ok. */
  diff: string;
}

/** What is shown of an element: its name, the attributes and text that count, its children. */
interface View {
  name: string;
  attrs: [string, string][];
  text: string;
  children: View[];
}

interface Scope {
  /** The default namespace in effect ('' for a stanza namespace: the stream's). */
  ns: string;
  prefixes: ReadonlyMap<string, string>;
  strict: boolean;
}

const ROOT: Scope = { ns: '', prefixes: new Map([['scansion', NS_SCANSION]]), strict: false };
const norm = (ns: string) => (STANZA_NAMESPACES.includes(ns) ? '' : ns);
const isDirective = (name: string) => name.startsWith('scansion:');
const isNamespaceDecl = (name: string) => name === 'xmlns' || name.startsWith('xmlns:');

/** The element's namespace, local name and the scope its children inherit. */
function enter(el: Element, outer: Scope, readStrict: boolean): { ns: string; local: string; scope: Scope } {
  let prefixes = outer.prefixes;
  for (const [k, v] of Object.entries(el.attrs)) {
    if (k.startsWith('xmlns:')) {
      if (prefixes === outer.prefixes) prefixes = new Map(prefixes);
      (prefixes as Map<string, string>).set(k.slice(6), v);
    }
  }
  const colon = el.name.indexOf(':');
  const local = colon === -1 ? el.name : el.name.slice(colon + 1);
  const declared = el.attrs.xmlns;
  const ns = colon === -1 ? (declared === undefined ? outer.ns : norm(declared)) : norm(prefixes.get(el.name.slice(0, colon)) ?? '');
  const s = readStrict ? el.attrs['scansion:strict'] : undefined;
  const strict = s === undefined ? outer.strict : s === 'true';
  return { ns, local, scope: { ns: colon === -1 ? ns : outer.ns, prefixes, strict } };
}

function textOf(el: Element): string {
  return el.children
    .filter((c): c is string => typeof c === 'string')
    .join('')
    .trim();
}

function tag(local: string, ns: string): string {
  return ns ? `<${local} xmlns='${ns}'/>` : `<${local}/>`;
}

function attrsOf(el: Element, keep: (name: string) => boolean): [string, string][] {
  return Object.entries(el.attrs).filter(([k, v]) => v !== undefined && keep(k)) as [string, string][];
}

/** The whole element as a View (attributes as they are, text trimmed). */
function fullView(el: Element): View {
  return { name: el.name, attrs: attrsOf(el, (k) => !isDirective(k)), text: textOf(el), children: el.getChildElements().map(fullView) };
}

interface Compared {
  problems: string[];
  /** The received element as the rules see it, for the diff. */
  view: View;
}

function compare(e: Element, r: Element, eOuter: Scope, rOuter: Scope, path: string): Compared {
  const E = enter(e, eOuter, true);
  const R = enter(r, rOuter, false);
  const strict = E.scope.strict;
  const problems: string[] = [];
  const here = `${path}/${E.local}`;
  const view: View = { name: e.name, attrs: [], text: '', children: [] };
  if (E.local !== R.local || E.ns !== R.ns) {
    problems.push(`${path || '/'}: received ${tag(R.local, R.ns)}, expected ${tag(E.local, E.ns)}`);
    return { problems, view: fullView(r) };
  }

  // Attributes (namespace declarations are compared through the names they resolve).
  for (const [k, v] of attrsOf(e, (k) => !isDirective(k))) {
    if (k === 'xmlns') {
      view.attrs.push([k, R.ns === E.ns ? v : R.ns]);
      continue;
    }
    if (k.startsWith('xmlns:')) continue;
    const got = r.attrs[k];
    if (got === undefined) problems.push(`${here}: no attribute ${k} (expected ${k}="${v}")`);
    else {
      if (v !== ANY && got !== v) problems.push(`${here}: ${k}="${got}", expected ${k}="${v}"`);
      view.attrs.push([k, v === ANY ? ANY : got]);
    }
  }
  if (strict) {
    for (const [k, v] of attrsOf(r, (k) => !isNamespaceDecl(k))) {
      if (e.attrs[k] !== undefined) continue;
      problems.push(`${here}: unexpected attribute ${k}="${v}" (scansion:strict)`);
      view.attrs.push([k, v]);
    }
  }

  // Text.
  const eText = textOf(e);
  const rText = textOf(r);
  if (eText === ANY) view.text = ANY;
  else if (eText !== '' || strict) {
    if (eText !== rText) problems.push(`${here}: text "${rText}", expected "${eText}"${strict && eText === '' ? ' (scansion:strict: no text)' : ''}`);
    view.text = rText;
  }

  // Children.
  const eKids = e.getChildElements();
  const rKids = r.getChildElements();
  if (strict) {
    for (let i = 0; i < Math.max(eKids.length, rKids.length); i++) {
      const ek = eKids[i];
      const rk = rKids[i];
      if (ek && rk) {
        const c = compare(ek, rk, E.scope, R.scope, here);
        problems.push(...c.problems);
        view.children.push(c.view);
      } else if (ek) {
        const k = enter(ek, E.scope, false);
        problems.push(`${here}: missing child ${i + 1}, ${tag(k.local, k.ns)} (scansion:strict)`);
      } else if (rk) {
        const k = enter(rk, R.scope, false);
        problems.push(`${here}: unexpected child ${tag(k.local, k.ns)} (scansion:strict)`);
        view.children.push(fullView(rk));
      }
    }
    return { problems, view };
  }

  // Non-strict: each expected child matches a distinct received child, in any order (a
  // bipartite matching, so an earlier loose child cannot take a later exact one's partner).
  const results = eKids.map((ek) => rKids.map((rk) => compare(ek, rk, E.scope, R.scope, here)));
  const partnerOf = new Array<number>(rKids.length).fill(-1);
  const augment = (i: number, seen: boolean[]): boolean => {
    for (let j = 0; j < rKids.length; j++) {
      if (seen[j] || results[i]![j]!.problems.length) continue;
      seen[j] = true;
      if (partnerOf[j] === -1 || augment(partnerOf[j]!, seen)) {
        partnerOf[j] = i;
        return true;
      }
    }
    return false;
  };
  for (let i = 0; i < eKids.length; i++) augment(i, []);
  const taken = new Set<number>();
  eKids.forEach((ek, i) => {
    const j = partnerOf.indexOf(i);
    if (j !== -1) {
      taken.add(j);
      view.children.push(results[i]![j]!.view);
    }
  });
  eKids.forEach((ek, i) => {
    if (partnerOf.includes(i)) return;
    // The closest free received child of the same name explains the mismatch.
    const k = enter(ek, E.scope, false);
    let best = -1;
    for (let j = 0; j < rKids.length; j++) {
      if (taken.has(j)) continue;
      const rk = enter(rKids[j]!, R.scope, false);
      if (rk.local !== k.local || rk.ns !== k.ns) continue;
      if (best === -1 || results[i]![j]!.problems.length < results[i]![best]!.problems.length) best = j;
    }
    if (best === -1) problems.push(`${here}: no child ${tag(k.local, k.ns)}`);
    else {
      taken.add(best);
      problems.push(...results[i]![best]!.problems);
      view.children.splice(i, 0, results[i]![best]!.view);
    }
  });
  return { problems, view };
}

/** The view of an expected element: what the script wrote, without the scansion: directives. */
function expectedView(e: Element): View {
  return { name: e.name, attrs: attrsOf(e, (k) => !isDirective(k) && k !== 'xmlns:scansion'), text: textOf(e), children: e.getChildElements().map(expectedView) };
}

function render(v: View, indent = ''): string[] {
  const open = `${indent}<${v.name}${v.attrs.map(([k, val]) => ` ${k}="${escapeAttr(val)}"`).join('')}`;
  if (v.children.length === 0) return [v.text ? `${open}>${escapeText(v.text)}</${v.name}>` : `${open}/>`];
  return [`${open}>`, ...(v.text ? [`${indent}  ${escapeText(v.text)}`] : []), ...v.children.flatMap((c) => render(c, indent + '  ')), `${indent}</${v.name}>`];
}

/** An element on indented lines (two spaces a level), text trimmed: for reports. */
export function prettyXml(el: Element): string {
  return render(fullView(el)).join('\n');
}

/** A line diff (longest common subsequence): ' ' both, '-' expected only, '+' received only. */
export function lineDiff(expected: readonly string[], received: readonly string[]): string {
  const n = expected.length;
  const m = received.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i]![j] = expected[i] === received[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === received[j]) {
      out.push(`  ${expected[i++]}`);
      j++;
    } else if (i < n && (j === m || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) out.push(`- ${expected[i++]}`);
    else out.push(`+ ${received[j++]}`);
  }
  return out.join('\n');
}

/** Does `received` match `expected` under Scansion's rules? */
export function matchStanza(expected: Element, received: Element): MatchResult {
  const { problems, view } = compare(expected, received, ROOT, ROOT, '');
  if (problems.length === 0) return { ok: true, problems, diff: '' };
  return { ok: false, problems, diff: lineDiff(render(expectedView(expected)), render(view)) };
}

/** A text queue item: trimmed text equal, or the expected text is {scansion:any}. */
export function matchText(expected: string, received: string): MatchResult {
  const e = expected.trim();
  const r = received.trim();
  if (e === ANY || e === r) return { ok: true, problems: [], diff: '' };
  return { ok: false, problems: [`text "${r}", expected "${e}"`], diff: lineDiff(e.split('\n'), r.split('\n')) };
}
