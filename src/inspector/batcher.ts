// Trace events on their way to the webview: held until the webview said 'ready', then
// posted every `intervalMs` in messages of at most `maxPerMessage` events — never one
// postMessage per event. VS Code-free (the timer functions are injectable for tests).

import type { TraceEvent } from '../../sandbox/trace/events';
import type { HostMessage } from '../protocol';

export interface BatcherOptions {
  intervalMs: number;
  maxPerMessage: number;
  post: (m: HostMessage) => void;
}

export class TraceBatcher {
  private pending: TraceEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private ready = false;

  constructor(private readonly opts: BatcherOptions) {}

  /** The webview is listening: start flushing. */
  setReady(ready: boolean): void {
    this.ready = ready;
    if (ready) this.schedule();
    else this.cancel();
  }

  get isReady(): boolean {
    return this.ready;
  }

  get queued(): number {
    return this.pending.length;
  }

  add(events: readonly TraceEvent[]): void {
    if (events.length === 0) return;
    for (const e of events) this.pending.push(e);
    this.schedule();
  }

  /** Drop what has not been posted (the webview is being refilled or cleared). */
  discard(): void {
    this.pending = [];
    this.cancel();
  }

  /** Post everything queued now, in chunks. */
  flush(): void {
    this.cancel();
    if (!this.ready) return;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.opts.maxPerMessage) this.opts.post({ type: 'trace', events: all.slice(i, i + this.opts.maxPerMessage) });
  }

  private schedule(): void {
    if (!this.ready || this.timer || this.pending.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, this.opts.intervalMs);
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.cancel();
    this.pending = [];
  }
}
