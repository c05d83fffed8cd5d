// Scenario scripts in Scansion's format (.scs): the scenario language Prosody's own tests are
// written in (its spec/scansion/*.scs). docs/scenarios.md describes the format and our
// extensions; this module turns a script's text into a Script: every piece with its line
// range, and every problem as an error with its line, never a throw.
//
//   # Title                      first line; the '#' lines right under it are the description
//   ## tag   /   ## key: value   tags (header only), for --only-tags / --skip-tags
//   [Client] Romeo               a character, then its indented `key: value` properties
//   -----                        the separator: actions follow
//   Romeo connects / disconnects
//   Romeo sends: / receives:     + the stanza on the following lines, indented
//   Romeo receives: nothing      nothing may arrive (within a short window)
//   Romeo receives within 5s:    our extension: this step's own timeout
//   Romeo's last stanza was blocked by no-spam   our extension: a trace expectation (sandbox only)
//   ${Romeo's full JID}, ${Romeo's JID}   variables, in stanzas
//
// Pure (no Node API, no I/O): the editor can parse a script as it is typed.

import type { Element } from '@xmpp/xml';
import { closest, didYouMean } from '../text';
import { OUTCOMES, type Outcome } from '../trace/events';
import { parseJid, type Jid } from '../xmpp/jid';
import { XmlStreamParser } from '../xmpp/xml/parser';
import { escapeAttr } from '../xmpp/xml/serialize';

/** 1-based, inclusive. */
export interface LineRange {
  line: number;
  endLine: number;
}

export interface ScenarioError {
  line: number;
  message: string;
}

/** The character classes: Scansion's Client, and our Component (XEP-0114) and Queue (a Redis list). */
export const CHARACTER_CLASSES = {
  Client: {
    properties: ['jid', 'password', 'resource', 'connect_host', 'connect_port'],
    required: ['jid', 'password'],
    verbs: ['connects', 'disconnects', 'sends', 'receives', 'outcome'],
  },
  Component: {
    properties: ['jid', 'password', 'connect_host', 'connect_port'],
    required: ['jid', 'password'],
    verbs: ['connects', 'disconnects', 'sends', 'receives', 'outcome'],
  },
  Queue: {
    properties: ['list', 'url', 'pop'],
    required: ['list'],
    verbs: ['pushes', 'receives'],
  },
} as const satisfies Record<string, { properties: readonly string[]; required: readonly string[]; verbs: readonly Verb[] }>;

export type CharacterClass = keyof typeof CHARACTER_CLASSES;
/** `outcome`: our trace expectation, `Romeo's last stanza was blocked by no-spam` (TRACE_PHRASE). */
export type Verb = 'connects' | 'disconnects' | 'sends' | 'receives' | 'pushes' | 'outcome';

export interface Property {
  value: string;
  line: number;
}

export interface Character extends LineRange {
  class: CharacterClass;
  name: string;
  properties: Readonly<Record<string, Property>>;
  /** Client and Component: the parsed `jid` property (undefined when it is missing or invalid). */
  jid?: Jid;
}

export interface Action extends LineRange {
  actor: string;
  verb: Verb;
  /** The action line as written, trimmed. */
  text: string;
  /** sends:, receives:, pushes: the indented lines under the action, dedented. */
  body?: string;
  /** The line the body starts on. */
  bodyLine?: number;
  /** `receives: nothing`. */
  nothing?: boolean;
  /** `receives within 5s:` — this step's timeout, ms. */
  timeoutMs?: number;
  /** `Romeo's last stanza was <outcome> [by <plugin>]`: what the sandbox's trace must show. */
  traced?: { outcome: Outcome; by?: string };
  /** The comment lines above the action (since the previous one), without their '#'. */
  comment?: string;
}

export interface Tag extends LineRange {
  name: string;
  value?: string;
}

export type ScriptNode =
  | (LineRange & { type: 'title' | 'description' | 'comment'; text: string })
  | (LineRange & { type: 'tag'; tag: Tag })
  | (LineRange & { type: 'character'; character: Character })
  | (LineRange & { type: 'separator' })
  | (LineRange & { type: 'action'; action: Action });

export interface Script {
  /** As given to parseScenario (a path, for messages). */
  file: string;
  title?: string;
  description: string[];
  tags: Tag[];
  characters: Character[];
  actions: Action[];
  /** Everything in the file, in order (blank lines left out). */
  nodes: ScriptNode[];
  /** The domain of the first client's JID: the server's domain the script was written for. */
  domain?: string;
  /** Empty when the script can run. */
  errors: ScenarioError[];
}

/** The namespace bound to the `scansion:` prefix (scripts use the prefix without declaring it). */
export const NS_SCANSION = 'https://matthewwild.co.uk/projects/scansion';

/** `${Romeo's full JID}` / `${Romeo's JID}`; group 1 is what is between the braces. */
export const VARIABLE = /\$\{([^}]*)\}/g;
const VARIABLE_FORM = /^(.+)'s (full JID|JID)$/;

export interface VariableRef {
  character: string;
  full: boolean;
}

/** What `${…}` refers to, or null when it is not one of the two forms. */
export function parseVariable(inner: string): VariableRef | null {
  const m = VARIABLE_FORM.exec(inner.trim());
  return m ? { character: m[1]!, full: m[2] === 'full JID' } : null;
}

/**
 * A step's text with each `${…}` replaced by `valueOf`'s value (escaped for XML when `xml`)
 * and the text around them passed through `rewrite` (the --domain rewrite). One place for the
 * runner and the editor's Send This Step. The parser has checked every variable by then.
 */
export function substituteVariables(text: string, valueOf: (ref: VariableRef, written: string) => string, rewrite: (text: string) => string = (t) => t, xml = false): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    out += rewrite(text.slice(last, m.index));
    last = m.index + m[0].length;
    const value = valueOf(parseVariable(m[1]!)!, m[0]);
    out += xml ? escapeAttr(value) : value;
  }
  return out + rewrite(text.slice(last));
}

/** The step whose lines (action line to the end of its stanza) hold `line` (1-based). */
export function stepAt(script: Script, line: number): Action | undefined {
  return script.actions.find((a) => a.line <= line && line <= a.endLine);
}

/** Replaces the domain `from` by `to` wherever it stands as a domain or the end of one (bridge.localhost). */
export function domainRewrite(from: string | undefined, to: string | undefined): (text: string) => string {
  if (!from || !to || from === to) return (t) => t;
  const re = new RegExp(`(?<![A-Za-z0-9_-])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.-])`, 'gi');
  return (t) => t.replace(re, to);
}

// ---------------------------------------------------------------- XML blocks

export type XmlBlock = { ok: true; element: Element } | { ok: false; message: string; /** 1-based, within the block */ line: number };

/**
 * One element written in a script (a stanza, or a queue item): parsed with the stream's own
 * restricted-XML parser (RFC 6120 §11.1, sandbox/xmpp/xml/parser.ts) inside a wrapper that
 * declares the `scansion:` prefix, which Scansion scripts use without declaring it.
 */
export function parseXmlBlock(text: string): XmlBlock {
  const open = `<scansion:block xmlns:scansion="${NS_SCANSION}">`;
  const lineOf = (offset: number) => {
    const upTo = text.slice(0, Math.max(0, Math.min(offset - open.length, text.length)));
    return upTo.split('\n').length;
  };
  let root: Element | null = null;
  let failure: { message: string; line: number } | null = null;
  const parser = new XmlStreamParser(
    {
      streamStart() {},
      streamEnd() {},
      element(el) {
        root = el;
      },
      error(_condition, reason, offset) {
        // The wrapper's end tag closing one of the text's elements: that element is not closed.
        const unclosed = reason.includes('</scansion:block>');
        failure = { message: `not well-formed XML: ${unclosed ? reason.replace(/ closed by <\/scansion:block>.*/, ' is not closed') : reason}`, line: lineOf(offset) };
      },
    },
    { framed: true, maxElementBytes: Infinity },
  );
  parser.write(`${open}${text}</scansion:block>`);
  const failed = failure as { message: string; line: number } | null; // set by the handler
  if (failed) return { ok: false, ...failed };
  const wrapper = root as Element | null;
  if (!wrapper || !parser.idle) return { ok: false, message: 'not well-formed XML: an element is not closed', line: text.split('\n').length };
  const elements = wrapper.getChildElements();
  const stray = wrapper.children.find((c): c is string => typeof c === 'string' && c.trim() !== '');
  if (stray !== undefined) return { ok: false, message: `text outside the element: '${stray.trim().slice(0, 40)}'`, line: lineOf(open.length + text.indexOf(stray.trim())) };
  if (elements.length !== 1) {
    return { ok: false, message: elements.length === 0 ? 'no element: write one stanza (or one XML item)' : `${elements.length} elements: write one per step`, line: 1 };
  }
  const el = elements[0]!;
  el.parent = null;
  return { ok: true, element: el };
}

// ---------------------------------------------------------------- helpers

const SEPARATOR = /^-{3,}\s*$/;
const CHARACTER = /^\[([^\]]*)\]\s*(.*)$/;
const PROPERTY = /^\s+([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$/;
/**
 * After `Romeo`: `'s last stanza was blocked by no-spam`, `… was stored offline`: the outcome
 * (sandbox/trace/events.ts OUTCOMES, '-' written as a space) of the stanza the character sent
 * last, or of a packet made from it; `by` names the plugin that blocked, dropped or handled it.
 */
const TRACE_PHRASE = new RegExp(`^'s last stanza was (${OUTCOMES.map((o) => o.replace('-', ' ')).join('|')})(?: by (\\S+))?$`);
const VERB_PHRASE = /^(sends|receives|pushes)(?:\s+within\s+(\d+(?:\.\d+)?)\s*(ms|s))?\s*:\s*(.*)$/;
const indented = (s: string) => /^[ \t]/.test(s);
const blank = (s: string) => s.trim() === '';

/** " (did you mean 'x'?)" when a candidate is close (the CLI's own suggestion rule, sandbox/cli/args.ts). */
function suggest(input: string, candidates: readonly string[]): string {
  return didYouMean(closest(input, candidates));
}

function dedent(lines: readonly string[]): string {
  const widths = lines.filter((l) => !blank(l)).map((l) => /^[ \t]*/.exec(l)![0].length);
  const cut = widths.length ? Math.min(...widths) : 0;
  return lines.map((l) => (blank(l) ? '' : l.slice(cut).replace(/\s+$/, ''))).join('\n');
}

function isClass(name: string): name is CharacterClass {
  return Object.hasOwn(CHARACTER_CLASSES, name);
}

// ---------------------------------------------------------------- the parser

/** Parses a script; problems are in `errors` (with line numbers), never thrown. */
export function parseScenario(text: string, file = '<script>'): Script {
  const lines = text.split(/\r?\n/);
  const script: Script = { file, description: [], tags: [], characters: [], actions: [], nodes: [], errors: [] };
  const error = (line: number, message: string) => script.errors.push({ line, message });
  const byName = new Map<string, Character>();
  let inActions = false;
  let sawSeparator = false;
  let previous: ScriptNode['type'] | 'blank' | null = null; // what the last line was, for title/description
  let comments: string[] = [];

  let i = 0;
  while (i < lines.length) {
    const raw = lines[i]!;
    const n = i + 1;
    const line = raw.replace(/\s+$/, '');
    if (blank(line)) {
      previous = 'blank';
      i++;
      continue;
    }

    // Comments, title, description and tags.
    if (line.startsWith('#')) {
      if (!inActions && line.startsWith('##')) {
        const body = line.slice(2).trim();
        const colon = body.indexOf(':');
        const tag: Tag = colon === -1 ? { name: body, line: n, endLine: n } : { name: body.slice(0, colon).trim(), value: body.slice(colon + 1).trim(), line: n, endLine: n };
        if (!tag.name) error(n, "an empty tag: write '## name' or '## name: value'");
        else script.tags.push(tag);
        script.nodes.push({ type: 'tag', tag, line: n, endLine: n });
        previous = 'tag';
      } else {
        const t = line.replace(/^#+\s?/, '');
        const before = previous as ScriptNode['type'] | 'blank' | null; // assigned in earlier turns of the loop
        const type: 'title' | 'description' | 'comment' = !inActions && script.nodes.length === 0 ? 'title' : !inActions && (before === 'title' || before === 'description') ? 'description' : 'comment';
        if (type === 'title') script.title = t.trim();
        else if (type === 'description') script.description.push(t.trim());
        else if (inActions) comments.push(t.trim());
        script.nodes.push({ type, text: t, line: n, endLine: n });
        previous = type;
      }
      i++;
      continue;
    }
    previous = null;

    if (SEPARATOR.test(line)) {
      if (sawSeparator) error(n, "a second separator line: one line of dashes ends the character definitions, actions follow it");
      sawSeparator = true;
      inActions = true;
      script.nodes.push({ type: 'separator', line: n, endLine: n });
      i++;
      continue;
    }

    const cm = CHARACTER.exec(line);
    if (cm && !indented(line)) {
      const cls = cm[1]!.trim();
      const name = cm[2]!.trim();
      let j = i + 1;
      const properties: Record<string, Property> = {};
      for (; j < lines.length && indented(lines[j]!) && !blank(lines[j]!); j++) {
        const pm = PROPERTY.exec(lines[j]!);
        if (!pm) {
          error(j + 1, `expected a property 'key: value' under [${cls}] ${name}, got '${lines[j]!.trim()}'`);
          continue;
        }
        if (properties[pm[1]!]) error(j + 1, `'${pm[1]}' is given twice for ${name}`);
        properties[pm[1]!] = { value: pm[2]!, line: j + 1 };
      }
      const character: Character = { class: 'Client', name, properties, line: n, endLine: j };
      if (inActions) error(n, "characters are defined before the line of dashes ('-----'), not among the actions");
      if (!isClass(cls)) error(n, `unknown character class [${cls}]: ${Object.keys(CHARACTER_CLASSES).map((c) => `[${c}]`).join(', ')}${suggest(cls, Object.keys(CHARACTER_CLASSES))}`);
      else if (!name) error(n, `[${cls}] needs a name, e.g. '[${cls}] Romeo'`);
      else if (byName.has(name)) error(n, `a second character named '${name}' (the first is on line ${byName.get(name)!.line})`);
      else {
        character.class = cls;
        checkCharacter(character, error);
        byName.set(name, character);
        script.characters.push(character);
      }
      script.nodes.push({ type: 'character', character, line: n, endLine: j });
      i = j;
      continue;
    }

    if (indented(line)) {
      error(n, inActions ? "an indented line with no 'sends:', 'receives:' or 'pushes:' action above it" : 'an indented line outside a character definition');
      i++;
      continue;
    }

    // An action.
    const actor = [...byName.keys()].sort((a, b) => b.length - a.length).find((name) => line.startsWith(name + ' ') || line.startsWith(name + "'s "));
    if (!inActions) {
      error(n, actor ? "actions come after the line of dashes ('-----') that ends the character definitions" : `expected a character definition like '[Client] Romeo', a '#' comment or the line of dashes, got '${line.trim()}'`);
      i++;
      continue;
    }
    if (!actor) {
      const guess = /^(.+?)\s+(connects|disconnects|sends|receives|pushes)\b/.exec(line)?.[1] ?? line.trim().split(/\s+/)[0]!;
      error(n, `unknown character '${guess}'${byName.size ? `: the characters are ${[...byName.keys()].join(', ')}` : ' (no characters are defined)'}${suggest(guess, [...byName.keys()])}`);
      // Its stanza, if any, belongs to this (already reported) line.
      for (i++; i < lines.length && indented(lines[i]!); i++);
      continue;
    }
    const character = byName.get(actor)!;
    const rest = line.slice(actor.length).trim();
    const verbs: readonly Verb[] = CHARACTER_CLASSES[character.class].verbs;
    const action: Action = { actor, verb: 'connects', text: line.trim(), line: n, endLine: n };
    if (comments.length) action.comment = comments.join('\n');
    comments = [];
    const vm = VERB_PHRASE.exec(rest);
    const tm = TRACE_PHRASE.exec(rest);
    let bad: string | null = null;
    if (rest === 'connects' || rest === 'disconnects') action.verb = rest;
    else if (tm) {
      action.verb = 'outcome';
      action.traced = { outcome: tm[1]!.replace(' ', '-') as Outcome, ...(tm[2] !== undefined && { by: tm[2] }) };
      if (tm[2] !== undefined && !['blocked', 'dropped', 'handled'].includes(action.traced.outcome)) bad = `'by' names the plugin of an outcome blocked, dropped or handled, not ${tm[1]}`;
    }
    else if (vm) {
      action.verb = vm[1] as Verb;
      if (vm[2] !== undefined) {
        const ms = Number(vm[2]) * (vm[3] === 's' ? 1000 : 1);
        if (action.verb !== 'receives') bad = "'within' goes with 'receives' only";
        else if (!(ms >= 1)) bad = `a timeout of ${vm[2]}${vm[3]} is too short`;
        else action.timeoutMs = Math.round(ms);
      }
      const after = vm[4]!.trim();
      if (after === 'nothing') {
        if (action.verb !== 'receives') bad = "'nothing' goes with 'receives' only";
        action.nothing = true;
      } else if (after) bad = `unexpected '${after}' after '${vm[1]}:' (the ${action.verb === 'pushes' ? 'item' : 'stanza'} goes on the following lines, indented)`;
    } else bad = `unknown action '${rest}' for ${actor}${suggest(rest.replace(/:.*$/, ''), verbs)}`;
    if (!bad && !verbs.includes(action.verb)) bad = `a [${character.class}] cannot '${action.verb}': it ${verbs.join(', ')}`;
    if (bad) error(n, `${bad}. ${character.class} actions: ${verbs.map((v) => (v === 'outcome' ? `'${actor}'s last stanza was blocked by PLUGIN'` : v === 'connects' || v === 'disconnects' ? `'${actor} ${v}'` : `'${actor} ${v}:'`)).join(', ')}`);

    // The indented block under sends:/receives:/pushes:.
    let j = i + 1;
    if (action.verb === 'sends' || action.verb === 'pushes' || (action.verb === 'receives' && !action.nothing)) {
      let last = i;
      for (; j < lines.length && (indented(lines[j]!) || blank(lines[j]!)); j++) if (!blank(lines[j]!)) last = j;
      j = last + 1;
      if (last === i) {
        if (!bad) error(n, `'${action.text}' needs the ${action.verb === 'pushes' || character.class === 'Queue' ? 'item' : 'stanza'} on the following lines, indented`);
      } else {
        action.body = dedent(lines.slice(i + 1, last + 1));
        action.bodyLine = i + 2;
        action.endLine = last + 1;
        checkBody(action, character, byName, error);
      }
    }
    if (!bad) script.actions.push(action);
    script.nodes.push({ type: 'action', action, line: action.line, endLine: action.endLine });
    i = j;
  }

  if (script.characters.length === 0 && script.errors.length === 0) error(1, "no characters: define one, e.g. '[Client] Romeo' with its jid and password");
  if (!sawSeparator && script.errors.length === 0) error(lines.length, "no line of dashes ('-----') after the character definitions, and so no actions");
  else if (sawSeparator && script.actions.length === 0 && script.errors.length === 0) error(lines.length, 'no actions after the line of dashes');
  script.domain = script.characters.find((c) => c.class === 'Client' && c.jid)?.jid?.domain;
  script.errors.sort((a, b) => a.line - b.line);
  return script;
}

function checkCharacter(c: Character, error: (line: number, message: string) => void): void {
  const spec = CHARACTER_CLASSES[c.class];
  const known: readonly string[] = spec.properties;
  for (const [key, p] of Object.entries(c.properties)) {
    if (!known.includes(key)) error(p.line, `unknown property '${key}' for a [${c.class}]: ${known.join(', ')}${suggest(key, known)}`);
  }
  for (const key of spec.required) if (!c.properties[key]) error(c.line, `${c.name} needs a '${key}' property`);
  const jid = c.properties.jid;
  if (jid && c.class !== 'Queue') {
    try {
      const j = parseJid(jid.value);
      if (c.class === 'Client' && !j.local) error(jid.line, `a client's jid needs a local part (user@domain), got '${jid.value}'`);
      else if (c.class === 'Component' && (j.local || j.resource)) error(jid.line, `a component's jid is its domain (e.g. echo.localhost), got '${jid.value}'`);
      else c.jid = j;
    } catch (err) {
      error(jid.line, `jid '${jid.value}' is not a JID: ${(err as Error).message} (RFC 7622)`);
    }
  }
  const port = c.properties.connect_port;
  if (port && !(/^\d+$/.test(port.value) && Number(port.value) >= 1 && Number(port.value) <= 65535)) error(port.line, `connect_port must be a port number 1-65535, got '${port.value}'`);
  const pop = c.properties.pop;
  if (pop && pop.value !== 'left' && pop.value !== 'right') error(pop.line, `pop must be 'left' (BLPOP) or 'right' (BRPOP), got '${pop.value}'`);
  const url = c.properties.url;
  if (url && !/^rediss?:\/\//.test(url.value)) error(url.line, `url must be a redis:// URL, got '${url.value}'`);
}

function checkBody(a: Action, actor: Character, byName: ReadonlyMap<string, Character>, error: (line: number, message: string) => void): void {
  const body = a.body!;
  const at = (index: number) => a.bodyLine! + body.slice(0, index).split('\n').length - 1;
  for (const m of body.matchAll(VARIABLE)) {
    const ref = parseVariable(m[1]!);
    const target = ref && byName.get(ref.character);
    if (!ref) error(at(m.index), `unknown variable ${m[0]}: write \${Name's JID} or \${Name's full JID}`);
    else if (!target) error(at(m.index), `${m[0]}: no character named '${ref.character}'${suggest(ref.character, [...byName.keys()])}`);
    else if (target.class === 'Queue') error(at(m.index), `${m[0]}: ${target.name} is a queue, it has no JID`);
  }
  // Queue items are XML when they look like it, text otherwise; stanzas are always XML.
  if (actor.class === 'Queue' && !body.trimStart().startsWith('<')) return;
  const parsed = parseXmlBlock(body.replace(VARIABLE, 'scansion-variable'));
  if (!parsed.ok) error(a.bodyLine! + parsed.line - 1, parsed.message);
}
