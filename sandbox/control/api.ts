// The control API: plain, JSON-serialisable requests, responses and events, so the same
// calls work in-process (tests: `sandbox.control.call(...)`) and over IPC (the extension
// runs the sandbox in a child process: ipc-child.ts, driven by ipc-client.ts). Its errors
// live here too, so both sides throw the same classes. Nothing here imports vscode, and
// nothing but types is imported: the extension host loads this file.

import type { DeepPartial, SandboxConfig } from '../config';
import type { JsonReport } from '../scenario/report';
import type { TraceEvent } from '../trace/events';
import type { WireBatch } from '../trace/wire';
import type { Stage } from '../xmpp/vocabulary';

export interface Endpoints {
  domain: string;
  /** e.g. xmpp://127.0.0.1:5222 (use as @xmpp/client `service`) */
  c2s: string;
  /** e.g. ws://127.0.0.1:5280/xmpp-websocket, or null when disabled */
  websocket: string | null;
  /** XEP-0114 listener, e.g. xmpp://127.0.0.1:5347, or null when disabled */
  component: string | null;
  /** e.g. redis://127.0.0.1:6380, or null when the queue is disabled */
  queue: string | null;
  /** The password any local username may use. */
  password: string;
  /** Components the sandbox accepts: domain → secret. */
  components: Record<string, string>;
  dataDir: string;
}

export type SandboxState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface SandboxStatus {
  state: SandboxState;
  endpoints: Endpoints | null;
  pid: number;
  startedAt: number | null;
  /** Stanzas that entered the pipeline since start. */
  stanzasIn: number;
  /** Stanzas written to sessions since start. */
  stanzasOut: number;
  traceEnabled: boolean;
  lastTraceSeq: number;
}

export interface ResourceInfo {
  sessionId: string;
  fullJid: string;
  resource: string;
  transport: 'tcp' | 'websocket';
  /** Has sent available presence. */
  available: boolean;
  priority: number;
  /** <show/> value, if any. */
  show?: string;
  status?: string;
  /** XEP-0198 enabled / detached (waiting for resumption). */
  sm: 'off' | 'on' | 'detached';
  connectedAt: number;
}

export interface SessionInfo {
  bareJid: string;
  resources: ResourceInfo[];
}

export interface ComponentInfo {
  domain: string;
  sessionId: string;
  connectedAt: number;
}

export type PluginStage = Stage;

export interface PluginInfo {
  id: string;
  /** 'builtin' or the file it was loaded from. */
  origin: string;
  stages: PluginStage[];
  handles: { path: string[]; xmlns?: string }[];
  types?: string[];
  /** Process-stage queue usage. */
  queued?: number;
  queueCapacity?: number;
}

export interface OfflineItemInfo {
  /** XEP-0013 node id. */
  node: string;
  from: string;
  stamp: string;
  xml: string;
}

export interface OfflineUserInfo {
  bareJid: string;
  count: number;
  items?: OfflineItemInfo[];
}

/**
 * A plugin file that did not load (or the plugin folder that could not be read), with where the
 * error is when its stack says so (1-based), so the editor can show it at file:line.
 */
export interface PluginLoadError {
  file: string;
  error: string;
  line?: number;
  column?: number;
}

export interface QueueKeyInfo {
  key: string;
  type: 'list' | 'string' | 'none';
  length: number;
}

/** Every control method: name → params and result. */
export interface ControlMethods {
  status: { params: Record<string, never>; result: SandboxStatus };
  stop: { params: Record<string, never>; result: { stopped: true } };
  'sessions.list': { params: Record<string, never>; result: SessionInfo[] };
  /** Close a session (as if its connection dropped; `condition` sends a stream error first). */
  'sessions.kick': { params: { fullJid: string; condition?: string }; result: { kicked: boolean } };
  'components.list': { params: Record<string, never>; result: ComponentInfo[] };
  'plugins.list': { params: Record<string, never>; result: PluginInfo[] };
  /** Reload user plugins from the plugin folder without a restart. */
  'plugins.reload': { params: Record<string, never>; result: { loaded: string[]; errors: PluginLoadError[] } };
  /** The errors of the last plugin load (at start or by plugins.reload); empty when every file loaded. */
  'plugins.errors': { params: Record<string, never>; result: PluginLoadError[] };
  'offline.list': { params: { bareJid?: string; withItems?: boolean }; result: OfflineUserInfo[] };
  'offline.purge': { params: { bareJid: string }; result: { removed: number } };
  /**
   * Inject a stanza into the pipeline as if `as` had sent it: a full JID of a connected session
   * (processed as outgoing for it), or any JID (a bare/full user JID, a component domain or the
   * server domain: processed as incoming from that address). Returns the new packet's id so the
   * caller can find its trace.
   */
  'stanza.inject': { params: { as: string; xml: string }; result: { packetId: string } };
  'trace.snapshot': { params: { sinceSeq?: number; limit?: number }; result: TraceEvent[] };
  /**
   * Every event of these packets the trace ring still holds, stages included, oldest first:
   * the detail a summary subscriber (onEvent trace: 'summary') fetches for what it shows.
   * At most TRACE_PACKETS_MAX (trace/events.ts) ids; ids the ring no longer holds yield nothing.
   */
  'trace.packets': { params: { packetIds: string[] }; result: TraceEvent[] };
  'trace.export': { params: { sinceSeq?: number }; result: { jsonl: string } };
  'trace.setEnabled': { params: { enabled: boolean }; result: { enabled: boolean } };
  'trace.clear': { params: Record<string, never>; result: { cleared: true } };
  /**
   * Tag a scenario run: what the sessions of `jids` (connected full JIDs, or component domains)
   * send from now on, and the packets made from it, carry `run` in the trace (ArrivalEvent.run).
   * Returns the session ids tagged.
   */
  'trace.tagRun': { params: { run: string; jids: string[] }; result: { sessionIds: string[] } };
  /** End a run's tagging (its events keep their tag). */
  'trace.untagRun': { params: { run: string }; result: { untagged: boolean } };
  /**
   * The ring's stanzas in a time range (ms since the epoch, inclusive) and/or of some sessions
   * (full JIDs, component domains) as a scenario script that replays them (sandbox/scenario/record.ts).
   */
  'trace.record': { params: { from?: number; to?: number; jids?: string[]; title?: string }; result: { scs: string } };
  /**
   * Run a scenario script (.scs) inside the sandbox, against it (sandbox/scenario/live.ts): its
   * characters' accounts and secrets accepted for the run, its sessions tagged (the report's
   * `run`), trace expectations read from this trace. `text` defaults to the file's; `untilLine`
   * is Run to Here. The result is `xmpp-sandbox test --json`'s report, of this one script.
   */
  'scenario.run': { params: { file: string; text?: string; untilLine?: number; timeoutMs?: number }; result: JsonReport };
  'queue.keys': { params: { pattern?: string }; result: QueueKeyInfo[] };
  'queue.peek': { params: { key: string; start?: number; stop?: number }; result: string[] };
  'queue.push': { params: { key: string; values: string[]; side?: 'left' | 'right' }; result: { length: number } };
  'queue.purge': { params: { key: string }; result: { removed: boolean } };
  /** LPOP (side 'left', the default) or RPOP: the item taken, null when the list is empty. */
  'queue.pop': { params: { key: string; side?: 'left' | 'right' }; result: { value: string | null } };
  /** One key's type and length: type 'none' when it does not exist. */
  'queue.info': { params: { key: string }; result: QueueKeyInfo };
  /** Wipe the data directory's stores (offline messages, queue AOF). Only while running; clears live state too. */
  'data.reset': { params: Record<string, never>; result: { reset: true } };
}

export type ControlMethod = keyof ControlMethods;
export type ControlParams<M extends ControlMethod> = ControlMethods[M]['params'];
export type ControlResult<M extends ControlMethod> = ControlMethods[M]['result'];

/** Events pushed from the sandbox. Trace events are always batched. */
export type ControlEvent =
  | { type: 'state'; status: SandboxStatus }
  /**
   * A batch of trace events. Over IPC, batches are throttled (sandbox/trace/throttle.ts):
   * `dropped` counts whole packets left out since the previous batch (the ring still has them).
   */
  | { type: 'trace'; events: TraceEvent[]; dropped?: number }
  | { type: 'sessions-changed'; sessions: SessionInfo[] }
  | { type: 'components-changed'; components: ComponentInfo[] }
  | { type: 'queue-changed'; keys: QueueKeyInfo[] }
  | { type: 'offline-changed'; users: OfflineUserInfo[] }
  | { type: 'plugins-changed'; plugins: PluginInfo[] }
  | { type: 'log'; level: 'error' | 'warn' | 'info' | 'debug'; message: string; ts: number };

export type ControlEventListener = (event: ControlEvent) => void;

/**
 * What a listener wants of the trace: nothing (false), every event (true), or each packet's
 * summary (isSummaryEvent in trace/events.ts; the stage timeline on request, 'trace.packets').
 */
export type TraceSubscription = boolean | 'summary';

/** The control surface: identical in-process and over IPC. */
export interface ControlApi {
  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>>;
  /** Subscribe to events; returns the unsubscribe function. Subscribing to trace costs the sandbox, so it is opt-in. */
  // A property, not a method: parameters are then checked strictly, so an implementation that
  // takes a narrower `opts` (trace?: boolean) and would drop 'summary' is a type error.
  onEvent: (listener: ControlEventListener, opts?: { trace?: TraceSubscription }) => () => void;
}

/** Error thrown by control calls, with a stable code. */
export class ControlError extends Error {
  constructor(
    readonly code: 'not-running' | 'bad-params' | 'not-found' | 'internal' | 'unknown-method' | 'jid-malformed' | 'xml-invalid',
    message: string,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

/**
 * The sandbox did not start. `code`: 'EADDRINUSE' (always a PortInUseError), 'ETIMEDOUT' (not
 * ready in time), 'ESTOPPED' (stopped while starting), the errno of a failed spawn, or none.
 * `lastLines`: the last lines the sandbox process wrote (empty when it ran in-process).
 */
export class StartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly lastLines: readonly string[] = [],
  ) {
    super(message);
    this.name = 'StartError';
  }
}

/** The config paths of the ports the sandbox listens on (what a PortInUseError names). */
export const PORT_SETTINGS = ['xmpp.c2sPort', 'xmpp.wsPort', 'xmpp.componentPort', 'queue.port'] as const;
export type PortSetting = (typeof PORT_SETTINGS)[number];

/**
 * A listener could not bind its port. Made where the listen fails (sandbox/listen.ts, for
 * every listener), so `setting` names the listener that failed even when two settings hold
 * the same number; sent unchanged in the IPC 'fatal' message and made again by the client.
 * The CLI maps `setting` to a flag, the extension to a VS Code setting.
 */
export class PortInUseError extends StartError {
  declare readonly code: 'EADDRINUSE';
  constructor(
    readonly port: number,
    readonly setting: PortSetting,
    /** `host`: the address it listened on. `message`, `lastLines`: when the client makes it again from a 'fatal' message. */
    more: { host?: string; message?: string; lastLines?: readonly string[] } = {},
  ) {
    const message = more.message ?? `port ${port} in use${more.host ? ` on ${more.host}` : ''} (config ${setting}): stop what uses it, or choose another port`;
    super(message, 'EADDRINUSE', more.lastLines);
    this.name = 'PortInUseError';
  }
}

// ---- IPC wire format (child process ↔ parent, via process.send) ----

/** Parent → child */
export type IpcRequest =
  | { kind: 'call'; id: number; method: ControlMethod; params: unknown }
  | { kind: 'subscribe'; trace: TraceSubscription }
  | { kind: 'unsubscribe' };

/** Child → parent */
export type IpcMessage =
  | { kind: 'ready'; status: SandboxStatus }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; code: string; message: string }
  | { kind: 'event'; event: ControlEvent }
  /** A trace batch, compact (trace/wire.ts); the parent decodes it into a ControlEvent 'trace'. */
  | { kind: 'trace'; batch: WireBatch; dropped?: number }
  | IpcFatal;

/** Child → parent when the sandbox could not start: the error's fields (fatalOf / startErrorOf). */
export type IpcFatal = { kind: 'fatal'; message: string; code?: string; port?: number; setting?: string };

/** The child side: what a failed Sandbox.start() sends. */
export function fatalOf(err: unknown): IpcFatal {
  if (err instanceof PortInUseError) return { kind: 'fatal', message: err.message, code: err.code, port: err.port, setting: err.setting };
  const e = err as { message?: unknown; code?: unknown } | null;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' ? { kind: 'fatal', message, code: e.code } : { kind: 'fatal', message };
}

/** The parent side: the error a 'fatal' message stands for, of the class the child threw. */
export function startErrorOf(m: IpcFatal, lastLines: readonly string[] = []): StartError {
  const setting = PORT_SETTINGS.find((s) => s === m.setting);
  if (m.code === 'EADDRINUSE' && typeof m.port === 'number' && setting) return new PortInUseError(m.port, setting, { message: m.message, lastLines });
  return new StartError(m.message, m.code, lastLines);
}

/** The env var the child reads (`dist/sandbox.js --ipc`): the JSON config overrides (DeepPartial<SandboxConfig>). */
export const IPC_CONFIG_ENV = 'XMPP_SANDBOX_CONFIG';
export type ConfigOverrides = DeepPartial<SandboxConfig>;
