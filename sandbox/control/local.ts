// The in-process control API: one table of methods (name → params check → handler) over
// the sandbox's parts. The IPC child (ipc-child.ts) forwards to the same object, so tests and
// the extension exercise identical code.

import {
  ControlError,
  type ControlApi,
  type ControlEvent,
  type ControlEventListener,
  type ControlMethod,
  type ControlMethods,
  type ControlParams,
  type ControlResult,
  type Endpoints,
  type SandboxStatus,
  type TraceSubscription,
} from './api';
import type { LogHub } from '../log';
import { recordScenario } from '../scenario/record';
import type { QueueServer } from '../queue/server';
import type { TraceBus } from '../trace/bus';
import { TRACE_PACKETS_MAX, type TraceEvent } from '../trace/events';
import type { XmppServer } from '../xmpp/server';

/** What LocalControl drives: the sandbox's parts and its lifecycle (sandbox/index.ts passes them). */
export interface LocalControlDeps {
  readonly xmpp: XmppServer;
  /** null when the queue is disabled */
  readonly queue: QueueServer | null;
  readonly trace: TraceBus;
  readonly logs: LogHub;
  status(): SandboxStatus;
  /** The endpoints while running, else null. */
  endpoints(): Endpoints | null;
  stop(): Promise<void>;
}

type Handler<M extends ControlMethod> = (params: ControlParams<M>) => ControlResult<M> | Promise<ControlResult<M>>;
type Params = Record<string, unknown>;

function str(p: Params, key: string, required: true): string;
function str(p: Params, key: string, required: false): string | undefined;
function str(p: Params, key: string, required: boolean): string | undefined {
  const v = p[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || (required && v.length === 0)) throw new ControlError('bad-params', `'${key}' must be a non-empty string`);
  return v;
}

function num(p: Params, key: string): number | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ControlError('bad-params', `'${key}' must be a number`);
  return v;
}

function int(p: Params, key: string): number | undefined {
  const v = p[key];
  if (v === undefined) return undefined;
  if (!Number.isInteger(v)) throw new ControlError('bad-params', `'${key}' must be an integer`);
  return v as number;
}

/** A list of strings; `nonEmpty`: at least one. */
function strs(p: Params, key: string, required: true, nonEmpty?: boolean): string[];
function strs(p: Params, key: string, required: false): string[] | undefined;
function strs(p: Params, key: string, required: boolean, nonEmpty = false): string[] | undefined {
  const v = p[key];
  if (v === undefined && !required) return undefined;
  if (!Array.isArray(v) || (nonEmpty && v.length === 0) || !v.every((x) => typeof x === 'string')) {
    throw new ControlError('bad-params', `'${key}' must be ${nonEmpty ? 'a non-empty' : 'an'} array of strings`);
  }
  return v as string[];
}

function side(p: Params): 'left' | 'right' {
  const v = p.side ?? 'left';
  if (v !== 'left' && v !== 'right') throw new ControlError('bad-params', "'side' must be 'left' or 'right'");
  return v;
}

/** Coalesces bursts of change notifications (many connects at once) into one event per tick window. */
class Debounced {
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly ms: number,
    private readonly fire: () => void,
  ) {}
  trigger(): void {
    if (!this.timer) this.timer = setTimeout(() => ((this.timer = null), this.fire()), this.ms);
  }
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export class LocalControl implements ControlApi {
  private readonly listeners = new Map<ControlEventListener, { trace: boolean; untrace?: () => void }>();
  private readonly debouncers: Debounced[] = [];
  private wired = false;
  private readonly handlers: { [M in ControlMethod]: Handler<M> };

  constructor(private readonly sb: LocalControlDeps) {
    const xmpp = sb.xmpp;
    const queue = () => {
      if (!sb.queue) throw new ControlError('not-found', 'the queue is disabled (config queue.enabled)');
      return sb.queue;
    };
    this.handlers = {
      status: () => sb.status(),
      stop: async () => {
        await sb.stop();
        return { stopped: true } as const;
      },
      'sessions.list': () => xmpp.listSessions(),
      'sessions.kick': (p) => ({ kicked: xmpp.kick(str(p, 'fullJid', true), str(p, 'condition', false)) }),
      'components.list': () => xmpp.listComponents(),
      'plugins.list': () => xmpp.listPlugins(),
      'plugins.reload': () => xmpp.reloadPlugins(),
      'plugins.errors': () => xmpp.pluginErrors(),
      'offline.list': (p) => xmpp.listOffline(str(p, 'bareJid', false), p.withItems === true),
      'offline.purge': (p) => ({ removed: xmpp.purgeOffline(str(p, 'bareJid', true)) }),
      'stanza.inject': (p) => {
        this.requireRunning();
        return { packetId: xmpp.inject(str(p, 'as', true), str(p, 'xml', true)) };
      },
      'trace.snapshot': (p) => sb.trace.snapshot(int(p, 'sinceSeq') ?? 0, int(p, 'limit') ?? Infinity),
      'trace.packets': (p) => {
        const ids = strs(p, 'packetIds', true);
        if (ids.length > TRACE_PACKETS_MAX) throw new ControlError('bad-params', `'packetIds' holds ${ids.length} ids: at most ${TRACE_PACKETS_MAX} per call`);
        return sb.trace.forPackets(ids);
      },
      'trace.export': (p) => ({ jsonl: sb.trace.exportJsonLines(int(p, 'sinceSeq') ?? 0) }),
      'trace.setEnabled': (p) => {
        if (typeof p.enabled !== 'boolean') throw new ControlError('bad-params', "'enabled' must be a boolean");
        sb.trace.enabled = p.enabled;
        return { enabled: sb.trace.enabled };
      },
      'trace.clear': () => {
        sb.trace.clear();
        return { cleared: true } as const;
      },
      'trace.tagRun': (p) => {
        const run = str(p, 'run', true);
        const jids = strs(p, 'jids', true);
        const ids = new Map<string, string>();
        for (const s of xmpp.listSessions()) for (const r of s.resources) ids.set(r.fullJid, r.sessionId);
        for (const c of xmpp.listComponents()) ids.set(c.domain, c.sessionId);
        const sessionIds = jids.map((j) => {
          const id = ids.get(j);
          if (id === undefined) throw new ControlError('not-found', `no connected session is ${j} (a full JID or a component domain)`);
          return id;
        });
        for (const id of sessionIds) sb.trace.tagSession(id, run);
        return { sessionIds };
      },
      'trace.untagRun': (p) => ({ untagged: sb.trace.untagRun(str(p, 'run', true)) }),
      'trace.record': (p) => {
        const from = num(p, 'from');
        const to = num(p, 'to');
        const jids = strs(p, 'jids', false);
        const ep = sb.endpoints();
        const scs = recordScenario(
          sb.trace.snapshot(),
          { from, to, jids },
          {
            // Declared accounts' own passwords are not in the trace: the replay's embedded sandbox accepts what the script says.
            password: () => ep?.password ?? 'sandbox',
            secret: (domain) => ep?.components[domain] ?? 'secret',
            origin: ep ? `the sandbox at ${ep.c2s}` : 'the sandbox',
            title: str(p, 'title', false),
          },
        );
        return { scs };
      },
      'scenario.run': async (p) => {
        const params = { file: str(p, 'file', true), text: p.text === undefined ? undefined : str(p, 'text', false), untilLine: int(p, 'untilLine'), timeoutMs: int(p, 'timeoutMs') };
        if (params.untilLine !== undefined && params.untilLine < 1) throw new ControlError('bad-params', "'untilLine' must be 1 or more");
        if (params.timeoutMs !== undefined && (params.timeoutMs < 1 || params.timeoutMs > 3_600_000)) throw new ControlError('bad-params', "'timeoutMs' must be between 1 and 3600000");
        this.requireRunning();
        // Loaded on the first run: the XMPP client and Redis libraries stay out of a sandbox that runs none.
        const { runOnLiveSandbox } = await import('../scenario/live');
        return runOnLiveSandbox({ control: this, trace: sb.trace, endpoints: sb.endpoints()!, credentials: xmpp.credentials, plugins: () => xmpp.listPlugins() }, params);
      },
      'queue.keys': (p) => queue().keys(str(p, 'pattern', false)),
      'queue.peek': (p) => queue().peek(str(p, 'key', true), int(p, 'start') ?? 0, int(p, 'stop') ?? 99),
      'queue.push': (p) => {
        const values = strs(p, 'values', true, true);
        return { length: queue().push(str(p, 'key', true), values, side(p)) };
      },
      'queue.purge': (p) => ({ removed: queue().purge(str(p, 'key', true)) }),
      'queue.pop': (p) => ({ value: queue().pop(str(p, 'key', true), side(p)) }),
      'queue.info': (p) => queue().info(str(p, 'key', true)),
      'data.reset': async () => {
        this.requireRunning();
        await xmpp.resetData();
        if (sb.queue) await sb.queue.reset();
        sb.trace.clear();
        return { reset: true } as const;
      },
    };
  }

  private requireRunning(): void {
    if (!this.sb.endpoints()) throw new ControlError('not-running', 'the sandbox is not running');
  }

  async call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    const handler = this.handlers[method] as Handler<M> | undefined;
    if (!handler || !Object.prototype.hasOwnProperty.call(this.handlers, method)) {
      throw new ControlError('unknown-method', `unknown control method '${String(method)}'`);
    }
    const p = (params ?? {}) as ControlParams<M>;
    if (typeof p !== 'object' || Array.isArray(p)) throw new ControlError('bad-params', 'params must be an object');
    try {
      return await handler(p);
    } catch (err) {
      if (err instanceof ControlError) throw err;
      const e = err as { code?: string; message?: string };
      // Errors from the parts (JID or XML errors from inject, for example) keep their code when it is one of ours.
      if (e && (e.code === 'jid-malformed' || e.code === 'xml-invalid' || e.code === 'bad-params' || e.code === 'not-found')) {
        throw new ControlError(e.code, e.message ?? String(err));
      }
      throw new ControlError('internal', e?.message ?? String(err));
    }
  }

  onEvent(listener: ControlEventListener, opts: { trace?: TraceSubscription } = {}): () => void {
    this.wire();
    const entry: { trace: boolean; untrace?: () => void } = { trace: !!opts.trace };
    if (entry.trace) entry.untrace = this.sb.trace.subscribe((events) => listener({ type: 'trace', events: events as TraceEvent[] }), { summary: opts.trace === 'summary' });
    this.listeners.set(listener, entry);
    return () => {
      entry.untrace?.();
      this.listeners.delete(listener);
    };
  }

  /** Sends the current state to every listener (called by the sandbox on transitions). */
  emitState(): void {
    this.emit({ type: 'state', status: this.sb.status() });
  }

  private emit(event: ControlEvent): void {
    for (const l of this.listeners.keys()) {
      try {
        l(event);
      } catch {
        // one broken listener must not starve the others
      }
    }
  }

  /** Hooks the parts' change events once, on the first subscriber. */
  private wire(): void {
    if (this.wired) return;
    this.wired = true;
    const { xmpp, queue, logs } = this.sb;
    const on = (emitter: { on(e: string, f: () => void): unknown }, name: string, make: () => ControlEvent) => {
      const d = new Debounced(50, () => this.listeners.size && this.emit(make()));
      this.debouncers.push(d);
      emitter.on(name, () => d.trigger());
    };
    on(xmpp.events, 'sessions-changed', () => ({ type: 'sessions-changed', sessions: xmpp.listSessions() }));
    on(xmpp.events, 'components-changed', () => ({ type: 'components-changed', components: xmpp.listComponents() }));
    on(xmpp.events, 'offline-changed', () => ({ type: 'offline-changed', users: xmpp.listOffline() }));
    on(xmpp.events, 'plugins-changed', () => ({ type: 'plugins-changed', plugins: xmpp.listPlugins() }));
    if (queue) on(queue.events, 'keys-changed', () => ({ type: 'queue-changed', keys: queue.keys() }));
    logs.addSink((level, message, ts) => {
      if (this.listeners.size) this.emit({ type: 'log', level, message, ts });
    });
  }

  dispose(): void {
    for (const d of this.debouncers) d.cancel();
    for (const e of this.listeners.values()) e.untrace?.();
    this.listeners.clear();
  }
}
