// Runs a parsed scenario (sandbox/scenario/parser.ts) against a server: the embedded sandbox
// (sandbox/scenario/embedded.ts) when none is given, or any XMPP server (Prosody, ejabberd, …)
// at `server`. Steps run in order, as in Scansion: the first failure ends the script and the
// steps after it are reported as not run. Every step has a timeout, so a script fails, it
// never hangs: `receives` waits up to the step's timeout (`receives within 5s:`, else
// `timeoutMs`), `receives: nothing` watches a short window.
//
// Adding a step: a verb in parser.ts (Verb, CHARACTER_CLASSES) and its entry in STEPS below.
// Steps that only the sandbox can answer (trace expectations: which plugin blocked a stanza, a
// stage's verdict) read `env.sandbox` — the in-process sandbox, with its trace bus and control
// API; it is null against another server, which cannot answer them.

import type { Element } from '@xmpp/xml';
import type { Sandbox } from '../index';
import { parseJid } from '../xmpp/jid';
import { escapeAttr } from '../xmpp/xml/serialize';
import { QueueActor, StanzaActor, withTimeout } from './actors';
import { startEmbedded, type EmbeddedCharacter, type EmbeddedServer } from './embedded';
import { matchStanza, matchText, prettyXml, type MatchResult } from './matcher';
import { VARIABLE, parseVariable, parseXmlBlock, type Action, type Character, type ScenarioError, type Script, type Tag, type Verb } from './parser';

export const DEFAULT_STEP_TIMEOUT_MS = 5000;
/** How long `receives: nothing` watches for a stanza. */
export const DEFAULT_NOTHING_WINDOW_MS = 500;
/** XEP-0114's customary port, for components when the server given is not the sandbox. */
const COMPONENT_PORT = 5347;

export interface RunOptions {
  /** c2s of the server to test, `xmpp://host:port`; none: the embedded sandbox. */
  server?: string;
  /** The server's domain: the script's domain (that of its first client) is replaced by it. */
  domain?: string;
  /** Default `url` of [Queue] characters (and the embedded bridge's queue). */
  redis?: string;
  /** Default per-step timeout, ms. */
  timeoutMs?: number;
  /** The `receives: nothing` window, ms. */
  nothingMs?: number;
  /** Run only scripts with one of these tags (`name` or `name: value`). */
  onlyTags?: readonly string[];
  /** Skip scripts with one of these tags. */
  skipTags?: readonly string[];
  /** Called as each step ends (also for the steps not run after a failure). */
  onStep?(step: StepResult): void;
}

export type Status = 'pass' | 'fail' | 'skip';

export interface StepResult {
  /** Index in script.actions. */
  index: number;
  line: number;
  endLine: number;
  /** The action line, e.g. `Juliet receives:`. */
  text: string;
  actor: string;
  verb: Verb;
  status: Status;
  durationMs: number;
  /** Why it failed or was skipped. */
  message?: string;
  /** receives: the expected stanza or item, variables resolved. */
  expected?: string;
  /** What came instead (pretty-printed XML, or the item's text). */
  received?: string;
  /** Expected ('-') against received ('+'), as the matching rules compare them. */
  diff?: string;
  /** The matcher's reasons, one a line. */
  problems?: string[];
}

export interface ScenarioResult {
  file: string;
  title?: string;
  status: Status;
  /** skip: why (tags); fail: the first failure's message. */
  reason?: string;
  durationMs: number;
  steps: StepResult[];
  /** Parse errors: the script did not run. */
  errors: readonly ScenarioError[];
}

class StepFailure extends Error {
  constructor(
    message: string,
    readonly detail: Partial<Pick<StepResult, 'expected' | 'received' | 'diff' | 'problems'>> = {},
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------- tags

/** `slow` matches the tag slow (any value); `status: stable` the tag status with the value stable. */
export function tagMatches(tag: Tag, spec: string): boolean {
  const colon = spec.indexOf(':');
  const name = (colon === -1 ? spec : spec.slice(0, colon)).trim().toLowerCase();
  if (tag.name.toLowerCase() !== name) return false;
  return colon === -1 || (tag.value ?? '') === spec.slice(colon + 1).trim();
}

/** Why the script is not selected by --only-tags / --skip-tags, or null when it runs. */
export function skipReason(script: Script, onlyTags: readonly string[] = [], skipTags: readonly string[] = []): string | null {
  const show = (t: Tag) => (t.value === undefined ? t.name : `${t.name}: ${t.value}`);
  for (const spec of skipTags) {
    const t = script.tags.find((tag) => tagMatches(tag, spec));
    if (t) return `tagged '${show(t)}' (--skip-tags ${skipTags.join(',')})`;
  }
  if (onlyTags.length && !onlyTags.some((spec) => script.tags.some((tag) => tagMatches(tag, spec)))) {
    return `not tagged ${onlyTags.map((s) => `'${s}'`).join(' or ')} (--only-tags)`;
  }
  return null;
}

// ---------------------------------------------------------------- the environment

interface HostPort {
  host: string;
  port: number;
}

interface Env {
  script: Script;
  /** The in-process sandbox, or null against another server (see the header). */
  sandbox: Sandbox | null;
  c2s: HostPort;
  component: HostPort;
  queue: string | null;
  timeoutMs: number;
  nothingMs: number;
  stanzaActors: Map<string, StanzaActor>;
  queueActors: Map<string, QueueActor>;
  /** The --domain rewrite (identity without one). */
  rewrite(text: string): string;
}

/** xmpp://host:port → host and port. */
export function hostPort(url: string): HostPort {
  const u = new URL(url);
  if (u.protocol !== 'xmpp:' || !u.hostname || !u.port) throw new Error(`expected xmpp://host:port, got '${url}'`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

/** Replaces `from` by `to` wherever it stands as a domain or the end of one (bridge.localhost). */
function domainRewrite(from: string | undefined, to: string | undefined): (text: string) => string {
  if (!from || !to || from === to) return (t) => t;
  const re = new RegExp(`(?<![A-Za-z0-9_-])${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.-])`, 'gi');
  return (t) => t.replace(re, to);
}

function characterJid(env: Env, c: Character) {
  return parseJid(env.rewrite(c.properties.jid!.value));
}

/** A step's text with ${…} resolved (escaped for XML when `xml`) and the domain rewritten outside them. */
function resolve(env: Env, text: string, xml: boolean): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(VARIABLE)) {
    out += env.rewrite(text.slice(last, m.index));
    last = m.index + m[0].length;
    const ref = parseVariable(m[1]!)!;
    const c = env.script.characters.find((x) => x.name === ref.character)!;
    const actor = env.stanzaActors.get(c.name);
    let value: string;
    if (c.class === 'Component') value = characterJid(env, c).domain;
    else if (actor?.bound) value = ref.full ? actor.bound : parseJid(actor.bound).bare;
    else {
      const j = characterJid(env, c);
      const resource = c.properties.resource?.value || j.resource;
      if (ref.full && !resource) throw new StepFailure(`${m[0]}: ${c.name} has not connected yet, so has no full JID`);
      value = ref.full ? `${j.bare}/${resource}` : j.bare;
    }
    out += xml ? escapeAttr(value) : value;
  }
  return out + env.rewrite(text.slice(last));
}

function parseOrFail(text: string, what: string): Element {
  const r = parseXmlBlock(text);
  if (!r.ok) throw new StepFailure(`${what} is not valid XML once resolved (line ${r.line} of it): ${r.message}`, { expected: text });
  return r.element;
}

function failUnlessMatched(m: MatchResult, expected: string, received: string): void {
  if (!m.ok) throw new StepFailure(m.problems[0]!, { expected, received, diff: m.diff, problems: m.problems });
}

// ---------------------------------------------------------------- the steps

type StepRun = (a: Action, env: Env, timeoutMs: number) => Promise<void>;

function stanzaActor(env: Env, a: Action): StanzaActor {
  return env.stanzaActors.get(a.actor)!;
}

function queueActor(env: Env, a: Action): QueueActor {
  const q = env.queueActors.get(a.actor)!;
  if (!q.url) throw new StepFailure(`${a.actor} has no queue to use: give it a 'url' property, or run with --redis`);
  return q;
}

const STEPS: Record<Verb, StepRun> = {
  async connects(a, env, timeoutMs) {
    const c = env.script.characters.find((x) => x.name === a.actor)!;
    const actor = stanzaActor(env, a);
    if (actor.connected) throw new StepFailure(`${a.actor} is already connected`);
    const jid = characterJid(env, c);
    const p = c.properties;
    const base = c.class === 'Client' ? env.c2s : env.component;
    const service = `xmpp://${p.connect_host?.value ?? base.host}:${p.connect_port?.value ?? base.port}`;
    const resource = p.resource?.value || jid.resource || undefined;
    await actor.connect({ service, jid, password: p.password!.value, resource, timeoutMs }).catch((err: Error) => {
      throw new StepFailure(err.message);
    });
  },

  async disconnects(a, env) {
    const actor = stanzaActor(env, a);
    if (!actor.attached) throw new StepFailure(actor.unavailable()!);
    await actor.disconnect();
  },

  async sends(a, env) {
    const actor = stanzaActor(env, a);
    const el = parseOrFail(resolve(env, a.body!, true), 'the stanza');
    await actor.send(el).catch((err: Error) => {
      throw new StepFailure(err.message);
    });
  },

  async pushes(a, env) {
    const text = a.body!.trim();
    await queueActor(env, a)
      .push(resolve(env, text, text.startsWith('<')))
      .catch((err: Error) => {
        throw new StepFailure(`LPUSH ${env.queueActors.get(a.actor)!.list} failed: ${err.message}`);
      });
  },

  async receives(a, env, timeoutMs) {
    const queue = env.queueActors.get(a.actor);
    if (queue) return receiveItem(a, env, queueActor(env, a), timeoutMs);
    const actor = stanzaActor(env, a);
    const why = actor.unavailable();
    if (why) throw new StepFailure(why);
    const wait = a.nothing ? (a.timeoutMs ?? env.nothingMs) : timeoutMs;
    const expected = a.nothing ? 'nothing' : resolve(env, a.body!, true);
    const el = await actor.next(wait);
    if (a.nothing) {
      if (el) throw new StepFailure(`received a stanza within ${wait} ms, expected nothing`, { expected, received: prettyXml(el) });
      return;
    }
    if (!el) throw new StepFailure(actor.unavailable() ?? `nothing received within ${wait} ms`, { expected });
    failUnlessMatched(matchStanza(parseOrFail(expected, 'the expected stanza'), el), expected, prettyXml(el));
  },
};

async function receiveItem(a: Action, env: Env, q: QueueActor, timeoutMs: number): Promise<void> {
  const wait = a.nothing ? (a.timeoutMs ?? env.nothingMs) : timeoutMs;
  const item = await q.next(wait).catch((err: Error) => {
    throw new StepFailure(`popping from ${q.list} failed: ${err.message}`);
  });
  if (a.nothing) {
    if (item !== null) throw new StepFailure(`an item arrived on ${q.list} within ${wait} ms, expected nothing`, { expected: 'nothing', received: item });
    return;
  }
  const text = a.body!.trim();
  if (item === null) throw new StepFailure(`no item on ${q.list} within ${wait} ms`, { expected: text });
  if (!text.startsWith('<')) return failUnlessMatched(matchText(resolve(env, text, false), item), text, item);
  const expected = resolve(env, text, true);
  const got = parseXmlBlock(item);
  if (!got.ok) throw new StepFailure(`the item on ${q.list} is not XML: ${got.message}`, { expected, received: item });
  failUnlessMatched(matchStanza(parseOrFail(expected, 'the expected item'), got.element), expected, prettyXml(got.element));
}

// ---------------------------------------------------------------- running a script

function skippedSteps(script: Script, from: number, message: string): StepResult[] {
  return script.actions.slice(from).map((a, k) => ({ index: from + k, line: a.line, endLine: a.endLine, text: a.text, actor: a.actor, verb: a.verb, status: 'skip' as const, durationMs: 0, message }));
}

function embeddedCharacters(script: Script, rewrite: (t: string) => string): EmbeddedCharacter[] {
  return script.characters.flatMap((c): EmbeddedCharacter[] => {
    if (c.class === 'Queue') return [];
    const j = parseJid(rewrite(c.properties.jid!.value));
    return [{ name: c.name, class: c.class, local: j.local, domain: j.domain, password: c.properties.password!.value }];
  });
}

/** Runs one script; never throws for what happens in it (that is a failed step). */
export async function runScenario(script: Script, opts: RunOptions = {}): Promise<ScenarioResult> {
  const started = performance.now();
  const result: ScenarioResult = { file: script.file, title: script.title, status: 'pass', durationMs: 0, steps: [], errors: script.errors };
  const finish = (status: Status, reason?: string): ScenarioResult => {
    result.status = status;
    if (reason !== undefined) result.reason = reason;
    result.durationMs = Math.round(performance.now() - started);
    return result;
  };
  const report = (steps: StepResult[]) => {
    for (const s of steps) {
      result.steps.push(s);
      opts.onStep?.(s);
    }
  };
  if (script.errors.length) return finish('fail', `the script has ${script.errors.length === 1 ? 'an error' : `${script.errors.length} errors`}`);
  const skip = skipReason(script, opts.onlyTags, opts.skipTags);
  if (skip) {
    report(skippedSteps(script, 0, skip));
    return finish('skip', skip);
  }

  const rewrite = domainRewrite(script.domain, opts.domain);
  let embedded: EmbeddedServer | null = null;
  const env: Env = {
    script,
    sandbox: null,
    c2s: { host: '127.0.0.1', port: 5222 },
    component: { host: '127.0.0.1', port: COMPONENT_PORT },
    queue: opts.redis ?? null,
    timeoutMs: opts.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    nothingMs: opts.nothingMs ?? DEFAULT_NOTHING_WINDOW_MS,
    stanzaActors: new Map(),
    queueActors: new Map(),
    rewrite,
  };
  try {
    if (opts.server) {
      env.c2s = hostPort(opts.server);
      env.component = { host: env.c2s.host, port: COMPONENT_PORT };
    } else {
      const domain = opts.domain ?? script.domain ?? 'localhost';
      embedded = await startEmbedded(domain, embeddedCharacters(script, rewrite), { redis: opts.redis });
      env.sandbox = embedded.sandbox;
      env.c2s = hostPort(embedded.endpoints.c2s);
      if (embedded.endpoints.component) env.component = hostPort(embedded.endpoints.component);
      env.queue = opts.redis ?? embedded.endpoints.queue;
    }
  } catch (err) {
    await embedded?.stop().catch(() => undefined);
    report(skippedSteps(script, 0, 'not run: the server did not start'));
    return finish('fail', opts.server ? `bad server address: ${(err as Error).message}` : `cannot start the embedded sandbox: ${(err as Error).message}`);
  }
  for (const c of script.characters) {
    if (c.class === 'Queue') {
      const p = c.properties;
      env.queueActors.set(c.name, new QueueActor(c.name, p.url?.value ?? env.queue ?? '', p.list!.value, p.pop?.value === 'right' ? 'right' : 'left'));
    } else env.stanzaActors.set(c.name, new StanzaActor(c.name, c.class));
  }

  try {
    for (let i = 0; i < script.actions.length; i++) {
      const a = script.actions[i]!;
      const timeoutMs = a.timeoutMs ?? env.timeoutMs;
      const t0 = performance.now();
      const step: StepResult = { index: i, line: a.line, endLine: a.endLine, text: a.text, actor: a.actor, verb: a.verb, status: 'pass', durationMs: 0 };
      try {
        // A guard over the step's own waits, for a library call that never settles.
        await withTimeout(STEPS[a.verb](a, env, timeoutMs), timeoutMs + 2000, `the step did not finish within ${timeoutMs + 2000} ms`);
      } catch (err) {
        step.status = 'fail';
        step.message = (err as Error).message;
        if (err instanceof StepFailure) Object.assign(step, err.detail);
      }
      step.durationMs = Math.round(performance.now() - t0);
      report([step]);
      if (step.status === 'fail') {
        report(skippedSteps(script, i + 1, `not run: the step on line ${a.line} failed`));
        return finish('fail', `line ${a.line}: ${step.message}`);
      }
    }
    return finish('pass');
  } finally {
    await Promise.all([...env.stanzaActors.values()].map((x) => x.disconnect().catch(() => undefined)));
    await Promise.all([...env.queueActors.values()].map((x) => x.close()));
    await embedded?.stop().catch(() => undefined);
  }
}
