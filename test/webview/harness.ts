// Loads the inspector bundle (dist/webview.js + dist/webview.css) in Debian's Chromium, in the
// very page the panel serves (src/inspector/html.ts: same CSP, nonce, links), with a fake
// VS Code: an `acquireVsCodeApi` shim defined before the bundle. Behind the shim runs the real
// host-side controller (src/inspector/controller.ts) over a ReplayBackend that plays a trace
// (recorded from the real sandbox, or the fixture) through the ControlApi surface.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { ControlEvent, ControlEventListener, ControlMethod, ControlParams, ControlResult, SessionInfo, TraceSubscription } from '../../sandbox/control/api';
import { isSummaryEvent, type TraceEvent } from '../../sandbox/trace/events';
import { InspectorController, type InspectorBackend, type InspectorHostServices } from '../../src/inspector/controller';
import { renderInspectorHtml } from '../../src/inspector/html';
import type { HostMessage, InspectorViewState } from '../../src/protocol';
import { themeCss, type ThemeName } from './themes';

const ROOT = resolve(__dirname, '../..');
const DIST = join(ROOT, 'dist');

/**
 * A ControlApi that serves a fixed trace and lets a test push more events or answer injects.
 * Like the sandbox, it holds every event (the snapshot and what was emitted since) for
 * 'trace.packets', and streams summaries to a listener that asked for them.
 */
export class ReplayBackend implements InspectorBackend {
  running = true;
  private listeners = new Map<ControlEventListener, TraceSubscription | undefined>();
  /** Events pushed by emitTrace in this run (the ring's, besides the snapshot). */
  private emitted: TraceEvent[] = [];
  /** Packets 'trace.packets' no longer finds (the ring overwrote them). */
  private forgotten = new Set<string>();
  private runningListeners = new Set<(r: boolean) => void>();
  injected: { as: string; xml: string }[] = [];
  /** Called for stanza.inject: returns the packet id and may emit its trace. */
  onInject: (as: string, xml: string) => string = () => 'p-injected';

  constructor(
    public snapshot: TraceEvent[],
    public sessions: SessionInfo[] = [],
    public domain = 'localhost',
  ) {}

  async call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    const p = params as Record<string, unknown>;
    let result: unknown;
    switch (method) {
      case 'status':
        result = { state: 'running', endpoints: { domain: this.domain }, pid: 0, startedAt: 0, stanzasIn: 0, stanzasOut: 0, traceEnabled: true, lastTraceSeq: 0 };
        break;
      case 'trace.snapshot':
        result = this.snapshot;
        break;
      case 'trace.packets': {
        const ids = new Set((p.packetIds as string[]).filter((id) => !this.forgotten.has(id)));
        result = [...this.snapshot, ...this.emitted].filter((e) => e.packetId !== undefined && ids.has(e.packetId)).sort((a, b) => a.seq - b.seq);
        break;
      }
      case 'sessions.list':
        result = this.sessions;
        break;
      case 'components.list':
        result = [];
        break;
      case 'stanza.inject':
        this.injected.push({ as: String(p.as), xml: String(p.xml) });
        result = { packetId: this.onInject(String(p.as), String(p.xml)) };
        break;
      default:
        throw new Error(`ReplayBackend: ${method} not recorded`);
    }
    return result as ControlResult<M>;
  }

  onEvent(listener: ControlEventListener, opts?: { trace?: TraceSubscription }): () => void {
    this.listeners.set(listener, opts?.trace);
    return () => this.listeners.delete(listener);
  }

  onDidChangeRunning(listener: (r: boolean) => void): { dispose(): void } {
    this.runningListeners.add(listener);
    return { dispose: () => this.runningListeners.delete(listener) };
  }

  emit(event: ControlEvent): void {
    for (const [l, trace] of this.listeners) l(event.type === 'trace' && trace === 'summary' ? { ...event, events: event.events.filter(isSummaryEvent) } : event);
  }

  emitTrace(events: TraceEvent[]): void {
    this.emitted.push(...events);
    this.emit({ type: 'trace', events });
  }

  /** The ring overwrote these packets: 'trace.packets' yields nothing of them. */
  forget(packetIds: Iterable<string>): void {
    for (const id of packetIds) this.forgotten.add(id);
  }

  setRunning(r: boolean): void {
    // The ring goes with the sandbox process.
    if (!r) {
      this.emitted = [];
      this.forgotten.clear();
    }
    this.running = r;
    for (const l of this.runningListeners) l(r);
  }
}

export interface InspectorPage<B extends InspectorBackend = ReplayBackend> {
  page: Page;
  context: BrowserContext;
  backend: B;
  controller: InspectorController;
  /** What the host's services received. */
  saved: string[];
  /** Scenario scripts (Save as Scenario) the host was asked to save. */
  scenarios: string[];
  copied: string[];
  /** How many times the banner's Start Sandbox button asked the host. */
  startRequests: number;
  logs: string[];
  /** alert/confirm/prompt dialogs the page opened (XSS canaries). */
  dialogs: string[];
  /** Console messages and page errors (CSP violations land here). */
  console: string[];
  pageErrors: string[];
  frame: number;
  close(): Promise<void>;
}

export interface OpenOptions {
  theme?: ThemeName;
  state?: InspectorViewState;
  width?: number;
  height?: number;
}

let browserDir: string | null = null;

/** One static server for all pages: the panel's HTML, the shim, the theme, dist/. */
async function startServer(): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      if (url.pathname === '/') {
        const origin = `http://${req.headers.host}`;
        const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(18))).toString('base64');
        const requested = url.searchParams.get('theme');
        const theme: ThemeName = requested === 'light' || requested === 'high-contrast' ? requested : 'dark';
        let html = renderInspectorHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css` });
        // VS Code injects the theme variables and body classes itself; here a stylesheet and the shim do.
        html = html.replace('</head>', `<link rel="stylesheet" href="${origin}/theme-${theme}.css">\n</head>`);
        html = html.replace('<body>', `<body>\n<script nonce="${nonce}" src="${origin}/shim.js?theme=${theme}"></script>`);
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      } else if (url.pathname === '/shim.js') {
        const theme = url.searchParams.get('theme') ?? 'dark';
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(shim(theme));
      } else if (url.pathname.startsWith('/theme-')) {
        const name = url.pathname.slice('/theme-'.length, -'.css'.length);
        res.writeHead(200, { 'content-type': 'text/css' }).end(themeCss(name === 'light' || name === 'high-contrast' ? name : 'dark'));
      } else if (url.pathname.startsWith('/dist/')) {
        const file = normalize(join(DIST, url.pathname.slice(6)));
        if (!file.startsWith(DIST)) throw new Error('outside dist');
        const type = { '.js': 'text/javascript', '.css': 'text/css', '.ttf': 'font/ttf', '.map': 'application/json' }[extname(file)] ?? 'application/octet-stream';
        res.writeHead(200, { 'content-type': type }).end(await readFile(file));
      } else res.writeHead(404).end();
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function shim(theme: string): string {
  // The body classes VS Code sets: vscode-light, vscode-dark, vscode-high-contrast.
  const kind = theme === 'light' || theme === 'high-contrast' ? theme : 'dark';
  return `(() => {
  document.body.classList.add('vscode-${kind}');
  document.body.dataset.vscodeThemeKind = 'vscode-${kind}';
  let state = window.__initialState;
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi called twice');
    acquired = true;
    return Object.freeze({
      postMessage: (m) => window.__toHost(JSON.parse(JSON.stringify(m))),
      getState: () => state,
      setState: (s) => { state = s; window.__savedState = s; },
    });
  };
})();`;
}

let shared: { context: BrowserContext; server: { origin: string; close(): Promise<void> } } | null = null;

async function browser(): Promise<{ context: BrowserContext; origin: string }> {
  if (!shared) {
    browserDir = await mkdtemp(join(tmpdir(), 'inspector-chromium-'));
    const context = await chromium.launchPersistentContext(browserDir, {
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 860 },
    });
    shared = { context, server: await startServer() };
  }
  return { context: shared.context, origin: shared.server.origin };
}

export async function closeBrowser(): Promise<void> {
  if (!shared) return;
  await shared.context.close();
  await shared.server.close();
  shared = null;
  if (browserDir) await rm(browserDir, { recursive: true, force: true });
}

/** Open the inspector page with a controller over `backend` as its host. */
export async function openInspector<B extends InspectorBackend = ReplayBackend>(backend: B, opts: OpenOptions = {}): Promise<InspectorPage<B>> {
  const { context, origin } = await browser();
  const page = await context.newPage();
  if (opts.width || opts.height) await page.setViewportSize({ width: opts.width ?? 1400, height: opts.height ?? 860 });
  const result: InspectorPage<B> = {
    page,
    context,
    backend,
    controller: undefined as unknown as InspectorController,
    saved: [],
    scenarios: [],
    copied: [],
    startRequests: 0,
    logs: [],
    dialogs: [],
    console: [],
    pageErrors: [],
    frame: 0,
    /** Closes the page; fails (in the test's after hook) when the page broke the CSP or threw. */
    async close() {
      result.controller.dispose();
      await page.close();
      const csp = result.console.filter((c) => /Content Security Policy|Refused to/.test(c));
      if (csp.length) throw new Error(`CSP violations: ${csp.join(' | ')}`);
      if (result.pageErrors.length) throw new Error(`page errors: ${result.pageErrors.join(' | ')}`);
    },
  };
  page.on('dialog', (d) => {
    result.dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('console', (m) => result.console.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => result.pageErrors.push(e.message));
  const services: InspectorHostServices = {
    async saveJsonl(jsonl) {
      result.saved.push(jsonl);
      return '/tmp/fake-export.jsonl';
    },
    async copy(text) {
      result.copied.push(text);
    },
    async saveScenario(scs) {
      result.scenarios.push(scs);
      return '/tmp/fake-scenario.scs';
    },
    log(level, message) {
      result.logs.push(`${level}: ${message}`);
    },
    async startSandbox() {
      result.startRequests++;
    },
  };
  // Host → webview: in order, as VS Code delivers them.
  let chain = Promise.resolve();
  const post = (m: HostMessage): void => {
    // As a JSON string: Playwright's own argument serialization is slow for 5,000-event batches,
    // VS Code's postMessage is not; parsing in the page keeps the harness out of the measurement.
    const json = JSON.stringify(m);
    chain = chain.then(() => page.evaluate((text) => (globalThis as unknown as { postMessage(m: unknown, target: string): void }).postMessage(JSON.parse(text), '*'), json)).catch(() => undefined);
  };
  result.controller = new InspectorController(backend, services, post);
  await page.exposeFunction('__toHost', (m: unknown) => result.controller.receive(m));
  if (opts.state) await page.addInitScript((s) => ((globalThis as unknown as { __initialState: unknown }).__initialState = s), opts.state as unknown);
  await page.goto(`${origin}/?theme=${opts.theme ?? 'dark'}`);
  return result;
}

/** The status counters the webview keeps (data-* on #status). */
export async function status(page: Page): Promise<{ packets: number; rows: number; visible: number; events: number; paused: boolean; leftOut: number }> {
  return page.locator('#status').evaluate((el) => {
    const d = (el as unknown as { dataset: Record<string, string> }).dataset;
    return { packets: Number(d.packets), rows: Number(d.rows), visible: Number(d.visible), events: Number(d.events), paused: d.paused === 'true', leftOut: Number(d.leftOut ?? 0) };
  });
}

export type Status = Awaited<ReturnType<typeof status>>;

/** Poll the status counters until `pred` holds (evaluated here, not in the page: the CSP forbids eval). */
export async function waitForStatus(page: Page, pred: (s: Status) => boolean, timeoutMs = 30_000): Promise<Status> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(page);
    if (pred(s)) return s;
    if (Date.now() > end) throw new Error(`status never matched: last ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 40));
  }
}
