// The control API: plain, JSON-serialisable requests, responses and events, so the same
// calls work in-process (tests: `sandbox.control.call(...)`) and over IPC (the extension
// runs the sandbox in a child process: see ipc.ts). Nothing here imports vscode.

import type { DeepPartial, SandboxConfig } from '../config';
import type { TraceEvent } from '../trace/events';
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
  'plugins.reload': { params: Record<string, never>; result: { loaded: string[]; errors: { file: string; error: string }[] } };
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
  'trace.export': { params: { sinceSeq?: number }; result: { jsonl: string } };
  'trace.setEnabled': { params: { enabled: boolean }; result: { enabled: boolean } };
  'trace.clear': { params: Record<string, never>; result: { cleared: true } };
  'queue.keys': { params: { pattern?: string }; result: QueueKeyInfo[] };
  'queue.peek': { params: { key: string; start?: number; stop?: number }; result: string[] };
  'queue.push': { params: { key: string; values: string[]; side?: 'left' | 'right' }; result: { length: number } };
  'queue.purge': { params: { key: string }; result: { removed: boolean } };
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

/** The control surface: identical in-process and over IPC. */
export interface ControlApi {
  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>>;
  /** Subscribe to events; returns the unsubscribe function. Subscribing to trace costs the sandbox, so it is opt-in. */
  onEvent(listener: ControlEventListener, opts?: { trace?: boolean }): () => void;
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

// ---- IPC wire format (child process ↔ parent, via process.send) ----

/** Parent → child */
export type IpcRequest =
  | { kind: 'call'; id: number; method: ControlMethod; params: unknown }
  | { kind: 'subscribe'; trace: boolean }
  | { kind: 'unsubscribe' };

/** Child → parent */
export type IpcMessage =
  | { kind: 'ready'; status: SandboxStatus }
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; code: string; message: string }
  | { kind: 'event'; event: ControlEvent }
  | { kind: 'fatal'; message: string; code?: string; port?: number; setting?: string };

/** Env var / argv the child reads: the JSON config overrides (DeepPartial<SandboxConfig>). */
export const IPC_CONFIG_ENV = 'XMPP_SANDBOX_CONFIG';
export type ConfigOverrides = DeepPartial<SandboxConfig>;
