// The host side of the inspector, VS Code-free: owns the bounded history, the trace
// subscription (only while a panel exists: tracing subscribers cost the sandbox), the
// ready handshake, batching, and acting on validated webview messages. panel.ts plugs it into
// a WebviewPanel; tests drive it directly with the real sandbox's ControlApi.

import type { ControlApi, ControlEvent, SessionInfo } from '../../sandbox/control/api';
import type { TraceEvent } from '../../sandbox/trace/events';
import {
  HOST_BATCH_INTERVAL_MS,
  HOST_BATCH_MAX_EVENTS,
  HOST_HISTORY_MAX_EVENTS,
  INSPECTOR_PROTOCOL_VERSION,
  isSummaryEvent,
  LIMITS,
  validateStanza,
  validateWebviewMessage,
  type HostMessage,
  type SessionView,
  type WebviewMessage,
} from '../protocol';
import { TraceBatcher } from './batcher';
import { TraceHistory } from './history';

/** The sandbox as the inspector sees it (structurally what registerInspector receives). */
export interface InspectorBackend extends ControlApi {
  readonly running: boolean;
  onDidChangeRunning(listener: (running: boolean) => void): { dispose(): void };
}

/** What the controller needs from the editor: a save dialog, the clipboard, a log. */
export interface InspectorHostServices {
  /** Ask where to save and write the file; null when the user cancelled. */
  saveJsonl(jsonl: string): Promise<string | null>;
  /** Save as Scenario: ask where to save the .scs, write it and open it; null when the user cancelled. */
  saveScenario?(scs: string): Promise<string | null>;
  copy(text: string): Promise<void>;
  log(level: 'info' | 'warn' | 'error', message: string): void;
  /** Run "XMPP: Start Sandbox" (the banner's button while the sandbox is stopped). */
  startSandbox?(): Promise<void>;
}

export interface ControllerOptions {
  historyMaxEvents?: number;
  batchIntervalMs?: number;
  batchMaxEvents?: number;
}

export function toSessionViews(sessions: readonly SessionInfo[]): SessionView[] {
  return sessions.map((s) => ({
    bareJid: s.bareJid,
    resources: s.resources.map((r) => ({ fullJid: r.fullJid, available: r.available, priority: r.priority, transport: r.transport })),
  }));
}

export class InspectorController {
  readonly history: TraceHistory;
  private readonly batcher: TraceBatcher;
  private unsubscribe: (() => void) | null = null;
  /** While the snapshot is loading, live events wait here (they are newer than it). */
  private loading: TraceEvent[] | null = null;
  private readonly runningSub: { dispose(): void };
  private domain: string | null = null;
  private sessionViews: SessionView[] = [];
  private components: string[] = [];
  private disposed = false;
  private readonly batchMaxEvents: number;
  /** Resolves when the current attach (subscribe + snapshot) is done; tests await it. */
  attached: Promise<void> = Promise.resolve();
  /** A text filter asked for before the webview was ready: posted after its 'init'. */
  private pendingFilter: { text: string; posted: () => void } | null = null;

  constructor(
    private readonly backend: InspectorBackend,
    private readonly services: InspectorHostServices,
    private readonly post: (m: HostMessage) => void,
    opts: ControllerOptions = {},
  ) {
    this.history = new TraceHistory(opts.historyMaxEvents ?? HOST_HISTORY_MAX_EVENTS);
    this.batchMaxEvents = opts.batchMaxEvents ?? HOST_BATCH_MAX_EVENTS;
    this.batcher = new TraceBatcher({ intervalMs: opts.batchIntervalMs ?? HOST_BATCH_INTERVAL_MS, maxPerMessage: this.batchMaxEvents, post });
    this.runningSub = backend.onDidChangeRunning((running) => this.runningChanged(running));
    if (backend.running) this.attached = this.attach();
  }

  private async runningChanged(running: boolean): Promise<void> {
    if (this.disposed) return;
    if (running) {
      // A new sandbox run: sequence numbers and packet ids start again. What the user saw
      // stays, as an earlier run (the webview marks it), until they clear the list.
      this.history.newSandboxRun();
      this.batcher.discard();
      if (this.batcher.isReady) this.post({ type: 'newSandboxRun', sandboxRun: this.history.sandboxRun });
      this.attached = this.attach();
      await this.attached;
    } else {
      this.detach();
    }
    if (this.batcher.isReady) this.post({ type: 'running', running, domain: this.domain });
  }

  private async attach(): Promise<void> {
    this.detach();
    this.loading = [];
    // Summaries: one arrival, the plugin verdicts and one outcome per packet, what the list
    // shows; the stage timeline of the packets someone looks at comes with 'detail'.
    this.unsubscribe = this.backend.onEvent((e) => this.onEvent(e), { trace: 'summary' });
    try {
      const status = await this.backend.call('status', {});
      this.domain = status.endpoints?.domain ?? this.domain;
      const snapshot = await this.backend.call('trace.snapshot', {});
      this.history.push(snapshot.filter(isSummaryEvent));
    } catch (err) {
      this.services.log('warn', `inspector: could not load the trace snapshot: ${(err as Error).message}`);
    }
    const live = this.loading ?? [];
    this.loading = null;
    this.history.push(live);
    // A webview that is already listening (the sandbox restarted under it) gets the new run.
    if (this.batcher.isReady) this.refill();
  }

  private detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private onEvent(e: ControlEvent): void {
    switch (e.type) {
      case 'trace':
        // A loop, not push(...events): a batch can hold more events than a call has arguments.
        if (this.loading) for (const x of e.events) this.loading.push(x);
        else this.batcher.add(this.history.push(e.events));
        if (e.dropped) this.noteDropped(e.dropped);
        break;
      case 'sessions-changed':
        this.sessionViews = toSessionViews(e.sessions);
        if (this.batcher.isReady) this.post({ type: 'sessions', sessions: this.sessionViews, components: this.components });
        break;
      case 'components-changed':
        this.components = e.components.map((c) => c.domain);
        if (this.batcher.isReady) this.post({ type: 'sessions', sessions: this.sessionViews, components: this.components });
        break;
    }
  }

  private droppedSinceNotice = 0;
  private lastDropNotice = 0;
  /** Packets left out since the list was last cleared (the webview's status line shows it). */
  private leftOut = 0;
  private leftOutTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * Under a flood the sandbox leaves whole packets out of the live stream (trace/throttle.ts).
   * Say so: the count in the status line (at most every 500 ms), a notice at most every 5 s,
   * rather than let the list look complete.
   */
  private noteDropped(count: number): void {
    this.droppedSinceNotice += count;
    this.leftOut += count;
    this.leftOutTimer ??= setTimeout(() => {
      this.leftOutTimer = null;
      if (this.batcher.isReady) this.post({ type: 'leftOut', total: this.leftOut });
    }, 500);
    const now = Date.now();
    if (!this.batcher.isReady || now - this.lastDropNotice < 5000) return;
    this.lastDropNotice = now;
    const n = this.droppedSinceNotice;
    this.droppedSinceNotice = 0;
    this.post({ type: 'notice', level: 'info', message: `Traffic is heavy: ${n} stanza${n === 1 ? ' was' : 's were'} left out of the live view to keep VS Code responsive. The sandbox's trace buffer still holds them.` });
  }

  /** Send the whole history again (the webview (re)loaded and has nothing). */
  private refill(): void {
    this.batcher.discard();
    this.post({ type: 'reset', reason: 'cleared' });
    this.postEarlierRuns();
    this.batcher.add(this.history.all());
    this.batcher.flush();
  }

  /** The earlier runs' events, tagged with their run, in messages as small as the batcher's. */
  private postEarlierRuns(): void {
    const max = this.batchMaxEvents;
    for (const r of this.history.earlierRuns()) {
      for (let i = 0; i < r.events.length; i += max) this.post({ type: 'trace', events: r.events.slice(i, i + max), sandboxRun: r.sandboxRun });
    }
  }

  /** Refresh who the composer can send as (sessions and components). */
  private async refreshAddresses(): Promise<void> {
    if (!this.backend.running) {
      this.sessionViews = [];
      this.components = [];
      return;
    }
    try {
      const [sessions, components] = await Promise.all([this.backend.call('sessions.list', {}), this.backend.call('components.list', {}).catch(() => [])]);
      this.sessionViews = toSessionViews(sessions);
      this.components = components.map((c) => c.domain);
    } catch {
      this.sessionViews = [];
    }
  }

  /** Every message from the webview comes through here, validated first. */
  async receive(raw: unknown): Promise<void> {
    const v = validateWebviewMessage(raw);
    if (!v.ok) {
      this.services.log('warn', `inspector: refused a webview message: ${v.error}`);
      return;
    }
    try {
      await this.handle(v.message);
    } catch (err) {
      this.services.log('error', `inspector: ${(err as Error).message}`);
      this.post({ type: 'notice', level: 'error', message: (err as Error).message });
    }
  }

  private async handle(m: WebviewMessage): Promise<void> {
    switch (m.type) {
      case 'ready': {
        this.batcher.setReady(false);
        await this.refreshAddresses();
        if (this.loading) await this.attached;
        this.batcher.discard();
        this.post({
          type: 'init',
          protocol: INSPECTOR_PROTOCOL_VERSION,
          running: this.backend.running,
          sessions: this.sessionViews,
          components: this.components,
          domain: this.domain,
          sandboxRun: this.history.sandboxRun,
        });
        this.postEarlierRuns();
        this.batcher.add(this.history.all());
        this.batcher.setReady(true);
        this.batcher.flush();
        this.postPendingFilter();
        return;
      }
      case 'send': {
        // The webview checked it too, but the webview is not trusted.
        const checked = validateStanza(m.xml, { maxBytes: LIMITS.stanzaXmlBytes });
        if (!checked.ok) return this.post({ type: 'sendResult', requestId: m.requestId, ok: false, error: checked.message });
        if (!this.backend.running) return this.post({ type: 'sendResult', requestId: m.requestId, ok: false, error: 'the sandbox is not running' });
        try {
          const { packetId } = await this.backend.call('stanza.inject', { as: m.as, xml: m.xml });
          this.post({ type: 'sendResult', requestId: m.requestId, ok: true, packetId });
        } catch (err) {
          this.post({ type: 'sendResult', requestId: m.requestId, ok: false, error: (err as Error).message });
        }
        return;
      }
      case 'export': {
        const path = await this.services.saveJsonl(m.jsonl);
        this.post({ type: 'exportResult', ok: true, path, count: m.count });
        return;
      }
      case 'copy':
        await this.services.copy(m.text);
        return;
      case 'saveScenario': {
        if (!this.backend.running) throw new Error('Save as Scenario: the sandbox is not running, and its trace went with it');
        const { scs } = await this.backend.call('trace.record', { from: m.from, to: m.to, ...(m.jids.length && { jids: m.jids }) });
        const path = await this.services.saveScenario?.(scs);
        if (path) this.services.log('info', `inspector: scenario saved to ${path}`);
        return;
      }
      case 'clear':
        this.history.clear();
        this.batcher.discard();
        this.leftOut = 0;
        return;
      case 'detail': {
        // Packet ids are the current sandbox run's: an earlier run's ring went with its process.
        // The webview waits for an answer: a failed call answers "none held", and is logged.
        const events = this.backend.running
          ? await this.backend.call('trace.packets', { packetIds: m.packetIds }).catch((err: Error) => (this.services.log('warn', `inspector: could not fetch the stage timeline: ${err.message}`), []))
          : [];
        const found = new Set(events.map((e) => e.packetId));
        this.post({ type: 'detail', requestId: m.requestId, events, missing: m.packetIds.filter((id) => !found.has(id)) });
        return;
      }
      case 'startSandbox':
        await this.services.startSandbox?.();
        return;
      case 'refreshSessions':
        await this.refreshAddresses();
        this.post({ type: 'sessions', sessions: this.sessionViews, components: this.components });
        return;
    }
  }

  /**
   * Sets the webview's text filter (Show in Inspector: `run:<tag>`), now or, while it loads,
   * right after its 'init' (nothing reaches it before its 'ready'). Resolves once posted.
   */
  setTextFilter(text: string): Promise<void> {
    this.pendingFilter?.posted();
    return new Promise((posted) => {
      this.pendingFilter = { text, posted };
      if (this.batcher.isReady) this.postPendingFilter();
    });
  }

  private postPendingFilter(): void {
    const f = this.pendingFilter;
    if (!f) return;
    this.pendingFilter = null;
    this.post({ type: 'setTextFilter', text: f.text });
    f.posted();
  }

  dispose(): void {
    this.disposed = true;
    this.pendingFilter?.posted();
    if (this.leftOutTimer) clearTimeout(this.leftOutTimer);
    this.detach();
    this.runningSub.dispose();
    this.batcher.dispose();
  }
}
