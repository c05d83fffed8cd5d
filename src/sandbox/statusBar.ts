// The status bar item: stopped / starting / running with its ports and a live stanza rate.
// The rate comes from the trace batches the sandbox pushes (arrivals of new stanzas) while
// they flow anyway (the inspector subscribed to them); otherwise from one cheap 'status' call
// every 2 s (the stanzasIn counter), so the status bar never turns trace-over-IPC on by
// itself (that would cost the sandbox under load). Click → a quick pick of actions.

import * as vscode from 'vscode';
import type { ControlEvent } from '../../sandbox/control/api';
import { portOf } from './connectionSnippet';
import type { SandboxProcess } from './sandboxProcess';
import { COMMANDS, VIEWS } from '../ids';

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
  /** Last stanzasIn sample from 'status' (when no trace batches flow). */
  private sample: { at: number; stanzasIn: number } | undefined;
  private polledRate = 0;
  private polling = false;

  constructor(private readonly sandbox: SandboxProcess) {
    this.item = vscode.window.createStatusBarItem(VIEWS.statusBar, vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'XMPP Sandbox';
    this.item.command = COMMANDS.showActions;
    this.disposables.push(this.item, sandbox.onDidChangeState(() => this.onState()));
    this.onState();
    this.item.show();
  }

  private onState(): void {
    if (this.sandbox.running) {
      this.unsubscribe ??= this.sandbox.onPassiveTrace((e) => this.onTrace(e));
      // Lives only while running.
      this.timer ??= setInterval(() => void this.tick(), 2000);
    } else {
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      this.meter.reset();
      this.sample = undefined;
      this.polledRate = 0;
    }
    this.render();
  }

  /** Every 2 s while running: sample the counter when no trace flows, then redraw. */
  private async tick(): Promise<void> {
    if (!this.sandbox.traceSubscribed && !this.polling) {
      this.polling = true;
      try {
        const st = await this.sandbox.call('status', {});
        const now = Date.now();
        if (this.sample && now > this.sample.at) this.polledRate = Math.max(0, ((st.stanzasIn - this.sample.stanzasIn) * 1000) / (now - this.sample.at));
        this.sample = { at: now, stanzasIn: st.stanzasIn };
      } catch {
        // stopped meanwhile
      } finally {
        this.polling = false;
      }
    } else if (this.sandbox.traceSubscribed) {
      this.sample = undefined;
    }
    this.render();
  }

  /** Stanzas per second, from trace batches when they flow, else from the sampled counter. */
  get rate(): number {
    return this.sandbox.traceSubscribed ? this.meter.rate() : this.polledRate;
  }

  private onTrace(e: ControlEvent): void {
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
        const rate = this.rate;
        item.text = `$(radio-tower) XMPP ${ports} · ${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s`;
        const md = new vscode.MarkdownString(undefined, true);
        md.appendMarkdown(`**XMPP Sandbox** running (pid ${sb.pid ?? '?'})\n\n`);
        if (e) {
          md.appendMarkdown(`- domain: \`${e.domain}\`\n- client: \`${e.c2s}\`\n`);
          if (e.websocket) md.appendMarkdown(`- websocket: \`${e.websocket}\`\n`);
          if (e.component) md.appendMarkdown(`- components: \`${e.component}\`\n`);
          if (e.queue) md.appendMarkdown(`- queue: \`${e.queue}\`\n`);
        }
        md.appendMarkdown(`\n${rate.toFixed(1)} stanzas/s. Click for actions.`);
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
