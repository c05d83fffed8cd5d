// The status bar item: stopped / starting / running with its ports and a live stanza rate.
// The rate comes from the trace batches the sandbox pushes (arrivals of new stanzas), not
// from polling; click → a quick pick of actions.

import * as vscode from 'vscode';
import type { ControlEvent } from '../../sandbox/control/api';
import { portOf } from './connectionSnippet';
import type { SandboxProcess } from './sandboxProcess';

/** Stanzas per second over a sliding window of one-second buckets. */
export class RateMeter {
  private buckets = new Map<number, number>();
  constructor(private readonly windowSec = 5) {}

  add(n: number, now = Date.now()): void {
    const sec = Math.floor(now / 1000);
    this.buckets.set(sec, (this.buckets.get(sec) ?? 0) + n);
    for (const k of this.buckets.keys()) if (k <= sec - this.windowSec) this.buckets.delete(k);
  }

  /** Average over the last full `windowSec` seconds (the current second is partial). */
  rate(now = Date.now()): number {
    const sec = Math.floor(now / 1000);
    let sum = 0;
    for (const [k, v] of this.buckets) if (k < sec && k >= sec - this.windowSec) sum += v;
    return sum / this.windowSec;
  }

  reset(): void {
    this.buckets.clear();
  }
}

export class SandboxStatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly meter = new RateMeter();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly sandbox: SandboxProcess) {
    this.item = vscode.window.createStatusBarItem('xmppSandbox.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'XMPP Sandbox';
    this.item.command = 'xmppSandbox.showActions';
    this.disposables.push(this.item, sandbox.onDidChangeState(() => this.onState()));
    this.onState();
    this.item.show();
  }

  private onState(): void {
    if (this.sandbox.running) {
      // Trace batches only flow while someone subscribes with trace: true.
      this.unsubscribe ??= this.sandbox.onEvent((e) => this.onEvent(e), { trace: true });
      // Redraw the rate once a second (a timer, no IPC); it only lives while running.
      this.timer ??= setInterval(() => this.render(), 1000);
    } else {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.meter.reset();
    }
    this.render();
  }

  private onEvent(e: ControlEvent): void {
    if (e.type !== 'trace') return;
    // One arrival per stanza that entered the sandbox (copies made by plugins have a parent).
    let n = 0;
    for (const t of e.events) if (t.type === 'arrival' && !t.parentId) n++;
    if (n) this.meter.add(n);
  }

  /** Live per-run resources (the rate subscription and the redraw timer): 0 when stopped. */
  get liveResources(): number {
    return (this.unsubscribe ? 1 : 0) + (this.timer ? 1 : 0);
  }

  render(): void {
    const sb = this.sandbox;
    const item = this.item;
    item.backgroundColor = undefined;
    switch (sb.state) {
      case 'stopped':
        item.text = '$(circle-slash) XMPP: stopped';
        item.tooltip = 'XMPP Sandbox is stopped. Click for actions.';
        break;
      case 'starting':
        item.text = '$(loading~spin) XMPP: starting';
        item.tooltip = 'XMPP Sandbox is starting…';
        break;
      case 'stopping':
        item.text = '$(loading~spin) XMPP: stopping';
        item.tooltip = 'XMPP Sandbox is stopping…';
        break;
      case 'running': {
        const e = sb.status?.endpoints;
        const ports = e ? [portOf(e.c2s), portOf(e.websocket), portOf(e.queue)].filter(Boolean).join('/') : '';
        const rate = this.meter.rate();
        item.text = `$(radio-tower) XMPP ${ports} · ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**XMPP Sandbox** running (pid ${sb.pid ?? '?'})\n\n`);
        if (e) {
          md.appendMarkdown(`- domain: \`${e.domain}\`\n- client: \`${e.c2s}\`\n`);
          if (e.websocket) md.appendMarkdown(`- websocket: \`${e.websocket}\`\n`);
          if (e.component) md.appendMarkdown(`- components: \`${e.component}\`\n`);
          if (e.queue) md.appendMarkdown(`- queue: \`${e.queue}\`\n`);
        }
        md.appendMarkdown(`\n${rate.toFixed(1)} stanzas/s (last 5 s). Click for actions.`);
        item.tooltip = md;
        break;
      }
    }
  }

  dispose(): void {
    this.unsubscribe?.();
    if (this.timer) clearInterval(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
