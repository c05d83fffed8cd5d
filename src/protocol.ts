// The stanza inspector's host ↔ webview protocol: the ONLY module both sides import.
//
// Rules the two sides keep (architecture.md, "Host ↔ webview"):
// - The webview posts {type:'ready'} first; the host posts nothing before it (messages posted
//   to a webview that has not loaded its script yet are lost).
// - Trace events travel in batches ({type:'trace', events}), never one message per event.
// - Everything the webview sends is untrusted: the host runs `validateWebviewMessage` on
//   every incoming message before acting on it.
//
// This file must stay free of `vscode`, Node and DOM APIs: it is bundled into both rooms.
// It imports from the sandbox only the trace contract (plain data) and the stanza validator
// (no Node APIs either).

import { TRACE_PACKETS_MAX, type TraceEvent } from '../sandbox/trace/events';

// The webview imports the trace contract through this file only (one shared module).
export { isSummaryEvent, STAGES, TRACE_SCHEMA_VERSION } from '../sandbox/trace/events';
export type { ArrivalEvent, Outcome, OutcomeEvent, PacketTraceEvent, PluginEvent, QueueEvent, Stage, StageEvent, TraceEvent, Verdict } from '../sandbox/trace/events';

// The sandbox's stanza check: the composer runs it as you type, the host before stanza.inject.
export { validateStanza, type StanzaValidation } from '../sandbox/xmpp/stanza-validator';

export const INSPECTOR_PROTOCOL_VERSION = 1 as const;

/** The webview panel's view type (also the serializer's key). */
export const INSPECTOR_VIEW_TYPE = 'xmppSandbox.inspector';

/**
 * Host-side bounded history and the batching the host applies before posting. The history
 * holds summaries (isSummaryEvent: about 4 events per packet pass), so 400,000 events are
 * about 100,000 packets.
 */
export const HOST_HISTORY_MAX_EVENTS = 400_000;
export const HOST_BATCH_INTERVAL_MS = 100;
export const HOST_BATCH_MAX_EVENTS = 5_000;
/** At most this many packet ids in one 'detail' request (an export asks in several): the sandbox's own limit. */
export { TRACE_PACKETS_MAX as DETAIL_MAX_PACKETS } from '../sandbox/trace/events';

/** Limits the validator enforces on webview input. */
export const LIMITS = {
  /** A stanza typed into the composer. */
  stanzaXmlBytes: 64 * 1024,
  /** A JID (RFC 7622 §3: three parts of at most 1023 bytes, plus separators). */
  jidChars: 3071,
  /** Text copied to the clipboard. */
  copyChars: 4 * 1024 * 1024,
  /** An export (JSON lines of the visible events). */
  exportChars: 512 * 1024 * 1024,
} as const;

/** What the composer needs to know about a connected session (a subset of SessionInfo). */
export interface SessionView {
  bareJid: string;
  resources: { fullJid: string; available: boolean; priority: number; transport: string }[];
}

// ---------------------------------------------------------------- host → webview

export type HostMessage =
  /**
   * First message after 'ready': the state the UI starts from (history follows as 'trace').
   * `sandboxRun` numbers the sandbox runs (start to stop) this panel has seen, 1 for the first.
   */
  | { type: 'init'; protocol: typeof INSPECTOR_PROTOCOL_VERSION; running: boolean; sessions: SessionView[]; components: string[]; domain: string | null; sandboxRun: number }
  /**
   * A batch of trace events, oldest first; `sandboxRun` is set when they are from an earlier
   * sandbox run. These are summaries (isSummaryEvent): each packet's arrival, plugin verdicts
   * and outcome, the list's needs; its stage timeline comes with 'detail', on request.
   */
  | { type: 'trace'; events: TraceEvent[]; sandboxRun?: number }
  /**
   * Answer to a 'detail' request: every event the sandbox's trace ring still holds of those
   * packets (stages included), oldest first. `missing` lists the requested ids the ring no
   * longer holds (or that are from an earlier sandbox run, whose ring is gone).
   */
  | { type: 'detail'; requestId: number; events: TraceEvent[]; missing: string[] }
  /** Packets the sandbox left out of the live stream under a flood, since the list was last cleared. */
  | { type: 'leftOut'; total: number }
  /** Forget every event shown so far (the user cleared the list, or the webview is refilled). */
  | { type: 'reset'; reason: 'cleared' }
  /**
   * The sandbox restarted as run `sandboxRun`: packet ids and sequence numbers start again. What is
   * shown so far stays, marked as an earlier run, until the user clears the list.
   */
  | { type: 'newSandboxRun'; sandboxRun: number }
  | { type: 'running'; running: boolean; domain: string | null }
  /** Who the composer can send as: connected sessions, and components (by domain). */
  | { type: 'sessions'; sessions: SessionView[]; components: string[] }
  /** Answer to a 'send': the injected packet's id, or why it was refused. */
  | { type: 'sendResult'; requestId: number; ok: true; packetId: string }
  | { type: 'sendResult'; requestId: number; ok: false; error: string }
  /** Answer to an 'export'. `path` is null when the user cancelled the save dialog. */
  | { type: 'exportResult'; ok: boolean; path: string | null; count: number; error?: string }
  | { type: 'notice'; level: 'info' | 'error'; message: string }
  /** Put `text` in the text filter (Show in Inspector of a scenario run: `run:<tag>`). */
  | { type: 'setTextFilter'; text: string };

// ---------------------------------------------------------------- webview → host

export type WebviewMessage =
  | { type: 'ready' }
  /** Inject `xml` as `as` (stanza.inject). `requestId` pairs the answer. */
  | { type: 'send'; requestId: number; as: string; xml: string }
  /** Save `jsonl` (the visible events, one JSON object per line) through a save dialog. */
  | { type: 'export'; jsonl: string; count: number }
  /** Put `text` (a stanza's XML) on the clipboard. */
  | { type: 'copy'; text: string }
  /** Forget the host-side history too. */
  | { type: 'clear' }
  | { type: 'refreshSessions' }
  /** The "Start Sandbox" button of the not-running banner. */
  | { type: 'startSandbox' }
  /**
   * Save as Scenario: the sandbox records its trace from `from` to `to` (ms since the epoch: the
   * visible stanzas' span), of the sessions `jids` (all when empty), as a .scs the host saves.
   */
  | { type: 'saveScenario'; from: number; to: number; jids: string[] }
  /**
   * The full trace (stage timeline included) of packets of the current sandbox run: the
   * details pane asks for the selected stanza's passes, an export for every visible packet.
   */
  | { type: 'detail'; requestId: number; packetIds: string[] };

export type Validated<T> = { ok: true; message: T } | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[]): string | null {
  for (const k of Object.keys(o)) if (!keys.includes(k)) return `unexpected field '${k}'`;
  return null;
}

function str(o: Record<string, unknown>, key: string, max: number, allowEmpty = false): string | null {
  const v = o[key];
  if (typeof v !== 'string') return `'${key}' must be a string`;
  if (!allowEmpty && v.length === 0) return `'${key}' must not be empty`;
  if (v.length > max) return `'${key}' is longer than ${max} characters`;
  return null;
}

function count(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? null : `'${key}' must be a non-negative integer`;
}

/**
 * A cheap shape check of a JID (RFC 7622 §3): no control characters anywhere, no whitespace or
 * localpart-forbidden characters before the resource (which may contain spaces). The sandbox
 * parses it for real (jid-malformed).
 */
export function looksLikeJid(jid: string): boolean {
  if (/[\u0000-\u001f\u007f]/.test(jid)) return false;
  const slash = jid.indexOf('/');
  const bare = slash === -1 ? jid : jid.slice(0, slash);
  return bare.length > 0 && !/[\s"&'<>]/.test(bare) && (slash === -1 || slash < jid.length - 1);
}

/**
 * Check a message that came from the webview. Returns the typed message, or a reason the
 * host logs and reports. Unknown types, missing or extra fields and oversize strings are refused.
 */
export function validateWebviewMessage(raw: unknown): Validated<WebviewMessage> {
  if (!isRecord(raw)) return { ok: false, error: 'message is not an object' };
  const type = raw.type;
  let err: string | null;
  switch (type) {
    case 'ready':
    case 'clear':
    case 'refreshSessions':
    case 'startSandbox':
      err = onlyKeys(raw, ['type']);
      break;
    case 'send':
      err =
        onlyKeys(raw, ['type', 'requestId', 'as', 'xml']) ??
        count(raw, 'requestId') ??
        str(raw, 'as', LIMITS.jidChars) ??
        str(raw, 'xml', LIMITS.stanzaXmlBytes);
      if (!err && !looksLikeJid(raw.as as string)) err = "'as' is not a JID";
      break;
    case 'export':
      err = onlyKeys(raw, ['type', 'jsonl', 'count']) ?? str(raw, 'jsonl', LIMITS.exportChars, true) ?? count(raw, 'count');
      break;
    case 'copy':
      err = onlyKeys(raw, ['type', 'text']) ?? str(raw, 'text', LIMITS.copyChars, true);
      break;
    case 'saveScenario': {
      const jids = raw.jids;
      err = onlyKeys(raw, ['type', 'from', 'to', 'jids']);
      if (!err && !(typeof raw.from === 'number' && typeof raw.to === 'number' && Number.isFinite(raw.from) && Number.isFinite(raw.to) && raw.from <= raw.to)) err = "'from' and 'to' must be times, 'from' first";
      if (!err && !(Array.isArray(jids) && jids.length <= 100 && jids.every((j) => typeof j === 'string' && j.length <= LIMITS.jidChars && looksLikeJid(j)))) err = "'jids' must be a list of JIDs";
      break;
    }
    case 'detail': {
      const ids = raw.packetIds;
      err = onlyKeys(raw, ['type', 'requestId', 'packetIds']) ?? count(raw, 'requestId');
      if (!err && !(Array.isArray(ids) && ids.length <= TRACE_PACKETS_MAX && ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 64)))
        err = `'packetIds' must be a list of at most ${TRACE_PACKETS_MAX} packet ids`;
      break;
    }
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(String(type)).slice(0, 60)}` };
  }
  return err ? { ok: false, error: `${String(type)}: ${err}` } : { ok: true, message: raw as unknown as WebviewMessage };
}

/** The webview's persisted state (vscode.getState/setState): filters, selection, composer history. */
export interface InspectorViewState {
  filters: FilterState;
  selected: string | null;
  sent: SentStanza[];
  composer: { as: string; xml: string; template: string };
}

export interface FilterState {
  jid: string;
  kind: '' | 'message' | 'presence' | 'iq';
  stanzaType: string;
  xmlns: string;
  outcome: string;
  plugin: string;
  text: string;
}

export interface SentStanza {
  as: string;
  xml: string;
  at: number;
  packetId?: string;
}
