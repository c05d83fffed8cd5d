// The scenario engine: runs a parsed script (sandbox/scenario/parser.ts) against a server that
// a caller prepared (a `ScenarioServer`): runner.ts prepares the embedded sandbox or another
// server (the CLI, tests), live.ts the sandbox already running (control `scenario.run`). Steps
// run in order, as in Scansion: the first failure ends the script and the steps after it are
// reported as not run. Every step has a timeout, so a script fails, it never hangs: `receives`
// waits up to the step's timeout (`receives within 5s:`, else `timeoutMs`), `receives: nothing`
// watches a short window. (Apart from runner.ts, so the sandbox's own control API can run
// scripts without importing the code that starts a sandbox.)
//
// Adding a step: a verb in parser.ts (Verb, CHARACTER_CLASSES) and its entry in STEPS below.
// Steps that only the sandbox can answer (trace expectations: which plugin blocked a stanza, a
// stage's verdict) read `env.sandbox` — the in-process sandbox (embedded or live), with its trace
// bus and control API; it is null against another server, which cannot answer them.

import type { Element } from '@xmpp/xml';
import { randomBytes } from 'node:crypto';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import type { Sandbox } from '../index';
import type { OutcomeEvent, TraceEvent } from '../trace/events';
import { parseJid } from '../xmpp/jid';
import { QueueActor, StanzaActor, withTimeout } from './actors';
import { matchStanza, matchText, prettyXml, type MatchResult } from './matcher';
import { domainRewrite, parseXmlBlock, substituteVariables, type Action, type Character, type ScenarioError, type Script, type Tag, type Verb } from './parser';

export const DEFAULT_STEP_TIMEOUT_MS = 5000;
/** How long `receives: nothing` watches for a stanza. */
export const DEFAULT_NOTHING_WINDOW_MS = 500;
/** XEP-0114's customary port, for components when the server given is not the sandbox. */
export const COMPONENT_PORT = 5347;

/** The in-process sandbox a run reads the trace of and tags its sessions in. */
export type ScenarioSandbox = Pick<Sandbox, 'control' | 'trace'>;

/** How any run goes, whatever the server (runner.ts's RunOptions add which server). */
export interface EngineOptions {
  /** Default per-step timeout, ms. */
  timeoutMs?: number;
  /** The `receives: nothing` window, ms. */
  nothingMs?: number;
  /** Run only scripts with one of these tags (`name` or `name: value`). */
  onlyTags?: readonly string[];
  /** Skip scripts with one of these tags. */
  skipTags?: readonly string[];
  /**
   * Run only the steps that start on this line or before it (1-based): the editor's Run to
   * Here. The steps after it are reported as skipped, and the script passes when those run do.
   */
  untilLine?: number;
  /** Called as each step ends (also for the steps not run after a failure). */
  onStep?(step: StepResult): void;
  /** The tag the run's packets carry in the sandbox's trace (ArrivalEvent.run); by default the script's name and a random suffix. */
  runTag?: string;
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
  /** The run's tag in the sandbox's trace (EngineOptions.runTag), when it ran on a sandbox (embedded or live). */
  run?: string;
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

export interface HostPort {
  host: string;
  port: number;
}

interface Env {
  script: Script;
  /** The in-process sandbox, or null against another server (see the header). */
  sandbox: ScenarioSandbox | null;
  c2s: HostPort;
  component: HostPort;
  queue: string | null;
  timeoutMs: number;
  nothingMs: number;
  stanzaActors: Map<string, StanzaActor>;
  queueActors: Map<string, QueueActor>;
  /** The --domain rewrite (identity without one). */
  rewrite(text: string): string;
  /** The run's tag (EngineOptions.runTag). */
  run: string;
  /** With the sandbox: each stanza character's session id, and what it sent last (for `outcome` steps). */
  sessionIds: Map<string, string>;
  lastSent: Map<string, { element: Element; sinceSeq: number }>;
}

/** xmpp://host:port → host and port. */
export function hostPort(url: string): HostPort {
  const u = new URL(url);
  if (u.protocol !== 'xmpp:' || !u.hostname || !u.port) throw new Error(`expected xmpp://host:port, got '${url}'`);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port) };
}

function characterJid(env: Env, c: Character) {
  return parseJid(env.rewrite(c.properties.jid!.value));
}

/** A step's text with ${…} resolved (escaped for XML when `xml`) and the domain rewritten outside them. */
function resolve(env: Env, text: string, xml: boolean): string {
  return substituteVariables(
    text,
    (ref, written) => {
      const c = env.script.characters.find((x) => x.name === ref.character)!;
      const actor = env.stanzaActors.get(c.name);
      let value: string;
      if (c.class === 'Component') value = characterJid(env, c).domain;
      else if (actor?.bound) value = ref.full ? actor.bound : parseJid(actor.bound).bare;
      else {
        const j = characterJid(env, c);
        const resource = c.properties.resource?.value || j.resource;
        if (ref.full && !resource) throw new StepFailure(`${written}: ${c.name} has not connected yet, so has no full JID`);
        value = ref.full ? `${j.bare}/${resource}` : j.bare;
      }
      return value;
    },
    env.rewrite,
    xml,
  );
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
    if (env.sandbox) {
      // Tag the session so the inspector can show this run alone (`run:<tag>`).
      const { sessionIds } = await env.sandbox.control.call('trace.tagRun', { run: env.run, jids: [actor.bound!] });
      env.sessionIds.set(a.actor, sessionIds[0]!);
    }
  },

  async disconnects(a, env) {
    const actor = stanzaActor(env, a);
    if (!actor.attached) throw new StepFailure(actor.unavailable()!);
    await actor.disconnect();
  },

  async sends(a, env) {
    const actor = stanzaActor(env, a);
    const el = parseOrFail(resolve(env, a.body!, true), 'the stanza');
    if (env.sandbox) env.lastSent.set(a.actor, { element: el, sinceSeq: env.sandbox.trace.lastSeq });
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
    if (a.nothing) {
      // As for a stanza: what came in before the step began is not seen (Scansion listens
      // only while a step waits), so only what arrives during the window counts.
      const { el } = await actor.take(wait, () => false);
      if (el) throw new StepFailure(`received a stanza within ${wait} ms, expected nothing`, { expected, received: prettyXml(el) });
      return;
    }
    // Stanzas that came in before this step and do not match are passed over, as Scansion
    // never sees them (StanzaActor.take; docs/scenarios.md, "Conformance with Prosody's scripts").
    const want = parseOrFail(expected, 'the expected stanza');
    const { el, passed } = await actor.take(wait, (s) => matchStanza(want, s).ok);
    if (!el) {
      const earlier = passed.at(-1);
      const m = earlier && matchStanza(want, earlier);
      const why = actor.unavailable() ?? `nothing received within ${wait} ms`;
      throw new StepFailure(earlier ? `${why}; the ${passed.length} stanza(s) received before the step did not match` : why, { expected, ...(m && { received: prettyXml(earlier), diff: m.diff, problems: m.problems }) });
    }
    failUnlessMatched(matchStanza(want, el), expected, prettyXml(el));
  },

  // Our trace expectation: the outcome the sandbox's trace gives the stanza the actor sent last.
  async outcome(a, env, timeoutMs) {
    const sent = env.lastSent.get(a.actor);
    const sessionId = env.sessionIds.get(a.actor);
    if (!env.sandbox) throw new StepFailure(`needs the sandbox's trace`);
    if (!env.sandbox.trace.enabled) throw new StepFailure(`the sandbox's trace is off, so it cannot tell what became of ${a.actor}'s stanza: turn it on`);
    if (!sent || sessionId === undefined) throw new StepFailure(`${a.actor} has sent nothing yet: this step follows a '${a.actor} sends:'`);
    const want = a.traced!;
    const wanted = `${want.outcome}${want.by ? ` by ${want.by}` : ''}`;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const seen = packetOutcomes(env.sandbox.trace.snapshot(sent.sinceSeq), sessionId, sent.element);
      if (seen?.outcomes.some((o) => o.outcome === want.outcome && (!want.by || o.plugin === want.by))) return;
      const shows = seen && (seen.outcomes.map(describeOutcome).join(', then ') || 'no outcome');
      if (seen?.settled) throw new StepFailure(`expected ${wanted}; the trace shows ${shows}`, { expected: wanted, received: seen.outcomes.map(describeOutcome).join('\n') });
      if (performance.now() >= deadline) throw new StepFailure(shows ? `expected ${wanted}; within ${timeoutMs} ms the trace shows ${shows}` : `the trace shows no stanza ${a.actor} sent within ${timeoutMs} ms`, { expected: wanted });
      await new Promise((r) => setTimeout(r, 10));
    }
  },
};

/** One packet's outcome, as a step's failure names it: `p12 forwarded`, `p13 delivered to juliet@localhost/balcony`. */
function describeOutcome(o: OutcomeEvent): string {
  return `${o.packetId} ${o.outcome}${o.plugin ? ` by ${o.plugin}` : ''}${o.to ? ` to ${o.to.join(', ')}` : ''}${o.error ? ` (${o.error})` : ''}`;
}

/**
 * In trace `events`, the packet session `sessionId` made of `sent` (the first of its arrivals
 * that `sent` matches) and the packets produced from it: their outcomes in order, and whether
 * all of them have one (settled). Null while the stanza has not arrived.
 */
function packetOutcomes(events: readonly TraceEvent[], sessionId: string, sent: Element): { outcomes: OutcomeEvent[]; settled: boolean } | null {
  const family = new Set<string>();
  const expected = new Set<string>();
  const outcomes: OutcomeEvent[] = [];
  for (const e of events) {
    if (e.type === 'arrival') {
      if (family.size === 0) {
        const el = e.source.sessionId === sessionId && !e.parentId ? parseXmlBlock(e.xml) : null;
        if (el?.ok && matchStanza(sent, el.element).ok) family.add(e.packetId);
      } else if (e.parentId !== undefined && family.has(e.parentId)) family.add(e.packetId);
    } else if ((e.type === 'plugin' || e.type === 'outcome') && family.has(e.packetId)) {
      for (const id of e.produced ?? []) expected.add(id);
      if (e.type === 'outcome') outcomes.push(e);
    }
  }
  if (family.size === 0) return null;
  const done = new Set(outcomes.map((o) => o.packetId));
  return { outcomes, settled: [...family, ...expected].every((id) => done.has(id)) };
}

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

/** `## plugin-dir: DIR`: the sandbox the script runs on has the plugins in DIR (relative to the script). */
export const PLUGIN_DIR_TAG = 'plugin-dir';

/** The script's `## plugin-dir` tag and the folder it names, resolved against the script's own; null without one. */
export function pluginDirOf(script: Script): { dir: string; line: number } | null {
  const t = script.tags.find((x) => x.name === PLUGIN_DIR_TAG);
  return t?.value ? { dir: resolvePath(dirname(script.file), t.value), line: t.line } : null;
}

export function skippedSteps(script: Script, from: number, message: string): StepResult[] {
  return script.actions.slice(from).map((a, k) => ({ index: from + k, line: a.line, endLine: a.endLine, text: a.text, actor: a.actor, verb: a.verb, status: 'skip' as const, durationMs: 0, message }));
}

// ---------------------------------------------------------------- running a script

/** Where a run connects, once its server is prepared. */
export interface ScenarioTarget {
  /** The in-process sandbox (embedded or live), or null for another server. */
  sandbox: ScenarioSandbox | null;
  c2s: HostPort;
  /** The components' default address; none: XEP-0114's port 5347 on c2s's host. */
  component?: HostPort;
  /** [Queue] characters' default url. */
  queue: string | null;
  /** Ends what the preparation began (the embedded sandbox, the run's accounts); called once the actors are gone. */
  stop?(): Promise<void>;
}

/** What a run is against: runner.ts (embedded sandbox, another server), live.ts (the running sandbox). */
export interface ScenarioServer {
  /** The server's domain: it replaces the script's (that of its first client); none: no rewrite. */
  domain?: string;
  /** The run's failure when `prepare` throws: `${failure}: ${its message}`. */
  failure: string;
  /** Prepares the server for the script (`run`: its tag); a string is why the script is skipped. */
  prepare(script: Script, rewrite: (text: string) => string, run: string): Promise<ScenarioTarget | string>;
}

/** Runs one script against `server`; never throws for what happens in it (that is a failed step). */
export async function runScript(script: Script, server: ScenarioServer, opts: EngineOptions = {}): Promise<ScenarioResult> {
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

  const rewrite = domainRewrite(script.domain, server.domain);
  const run = opts.runTag ?? `${basename(script.file, '.scs')}-${randomBytes(3).toString('hex')}`;
  let target: ScenarioTarget | string;
  try {
    target = await server.prepare(script, rewrite, run);
  } catch (err) {
    report(skippedSteps(script, 0, 'not run: the server did not start'));
    return finish('fail', `${server.failure}: ${(err as Error).message}`);
  }
  if (typeof target === 'string') {
    report(skippedSteps(script, 0, target));
    return finish('skip', target);
  }
  if (target.sandbox) result.run = run;
  const env: Env = {
    script,
    sandbox: target.sandbox,
    c2s: target.c2s,
    component: target.component ?? { host: target.c2s.host, port: COMPONENT_PORT },
    queue: target.queue,
    timeoutMs: opts.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS,
    nothingMs: opts.nothingMs ?? DEFAULT_NOTHING_WINDOW_MS,
    stanzaActors: new Map(),
    queueActors: new Map(),
    rewrite,
    run,
    sessionIds: new Map(),
    lastSent: new Map(),
  };
  for (const c of script.characters) {
    if (c.class === 'Queue') {
      const p = c.properties;
      env.queueActors.set(c.name, new QueueActor(c.name, p.url?.value ?? env.queue ?? '', p.list!.value, p.pop?.value === 'right' ? 'right' : 'left'));
    } else env.stanzaActors.set(c.name, new StanzaActor(c.name, c.class));
  }

  const last = opts.untilLine === undefined ? script.actions.length : script.actions.filter((a) => a.line <= opts.untilLine!).length;
  try {
    for (let i = 0; i < last; i++) {
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
    report(skippedSteps(script, last, `not run: after line ${opts.untilLine} (run to here)`));
    return finish('pass');
  } finally {
    await Promise.all([...env.stanzaActors.values()].map((x) => x.disconnect().catch(() => undefined)));
    await Promise.all([...env.queueActors.values()].map((x) => x.close()));
    await target.stop?.().catch(() => undefined);
  }
}

