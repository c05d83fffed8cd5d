// Test support for the session-manager integration tests: a real createXmppServer on port 0
// with a temp dataDir, and helpers around the real @xmpp/client.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { resolveConfig, type DeepPartial, type SandboxConfig } from '../../../../sandbox/config';
import { LogHub } from '../../../../sandbox/log';
import { TraceBus } from '../../../../sandbox/trace/bus';
import { createXmppServer, type XmppServer } from '../../../../sandbox/xmpp/server';

export { xml };

export interface TestServer {
  server: XmppServer;
  trace: TraceBus;
  config: SandboxConfig;
  ports: { c2sPort: number; wsPort: number | null; componentPort: number | null };
  dataDir: string;
  logs: string[];
  clients: Client[];
  stop(opts?: { keepData?: boolean }): Promise<void>;
}

export async function startServer(overrides: DeepPartial<SandboxConfig> = {}, dataDir?: string): Promise<TestServer> {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'xmpp-sm-')));
  const config = resolveConfig({
    ...overrides,
    dataDir: dir,
    xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0, ...(overrides.xmpp ?? {}) },
    trace: { enabled: true, bufferSize: 100_000, ...(overrides.trace ?? {}) },
  });
  const hub = new LogHub('debug');
  const logs: string[] = [];
  hub.addSink((level, m) => logs.push(`${level} ${m}`));
  const trace = new TraceBus({ capacity: config.trace.bufferSize, enabled: config.trace.enabled });
  const server = createXmppServer({ config, trace, log: hub.logger('xmpp') });
  const ports = await server.start();
  const clients: Client[] = [];
  return {
    server,
    trace,
    config,
    ports,
    dataDir: dir,
    logs,
    clients,
    async stop(opts = {}) {
      for (const c of clients.splice(0)) await stopClient(c);
      await server.stop();
      if (!opts.keepData) await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function stopClient(c: Client): Promise<void> {
  try {
    c.reconnect?.stop();
  } catch {
    // already stopped
  }
  await Promise.race([c.stop().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
}

/** A started @xmpp/client with a stanza inbox. */
export interface TestClient {
  c: Client;
  inbox: Element[];
  /** Resolve with the first stanza (already received or future) matching `pred`, removing it from the inbox. */
  next(pred: (s: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Messages with a body, in arrival order. */
  bodies(): string[];
}

export async function connect(
  t: TestServer,
  username: string,
  resource?: string,
  opts: { ws?: boolean; presence?: number | null } = {},
): Promise<TestClient> {
  const service = opts.ws ? `ws://127.0.0.1:${t.ports.wsPort}${t.config.xmpp.wsPath}` : `xmpp://127.0.0.1:${t.ports.c2sPort}`;
  const c = client({ service, domain: t.config.xmpp.domain, username, password: t.config.xmpp.password, resource });
  c.on('error', () => {});
  t.clients.push(c);
  const inbox: Element[] = [];
  const waiters: { pred: (s: Element) => boolean; resolve: (s: Element) => void }[] = [];
  c.on('stanza', (s: Element) => {
    const i = waiters.findIndex((w) => w.pred(s));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(s);
    else inbox.push(s);
  });
  await c.start();
  if (opts.presence !== null) {
    const p = opts.presence ?? 0;
    await c.send(xml('presence', {}, xml('priority', {}, String(p))));
  }
  return {
    c,
    inbox,
    next(pred, timeoutMs = 3000) {
      const i = inbox.findIndex(pred);
      if (i >= 0) return Promise.resolve(inbox.splice(i, 1)[0]!);
      return new Promise((resolve, reject) => {
        const w = { pred, resolve: (s: Element) => (clearTimeout(timer), resolve(s)) };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no matching stanza within ${timeoutMs} ms for ${username}/${resource}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    bodies() {
      return inbox.filter((s) => s.is('message') && s.getChildText('body') !== null).map((s) => s.getChildText('body')!);
    },
  };
}

export const isMessage = (body?: string) => (s: Element) => s.is('message') && s.getChild('body') !== undefined && (body === undefined || s.getChildText('body') === body);
export const isPresenceFrom = (from: string) => (s: Element) => s.is('presence') && s.attrs.from === from;

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` every 10 ms; throws `timeout: what` after `ms`. */
export async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout: ${what}`);
    await sleep(10);
  }
}

/** Round-trip through the server so earlier stanzas from `tc` have been processed. */
export async function sync(tc: TestClient): Promise<void> {
  await tc.c.iqCaller.request(xml('iq', { type: 'get', to: 'localhost' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
}
