// Test support for the session-manager integration tests: a real createXmppServer on port 0
// with a temp dataDir, and helpers around the real @xmpp/client.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { resolveConfig, type DeepPartial, type SandboxConfig } from '../../../../sandbox/config';
import { LogHub } from '../../../../sandbox/log';
import { TraceBus } from '../../../../sandbox/trace/bus';
import { createXmppServer, type XmppServer } from '../../../../sandbox/xmpp/server';
import { startXmppClient, stopClient, type XmppTestClient } from '../../../helpers/xmpp-client';

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

/** A started @xmpp/client with a stanza inbox (test/helpers/xmpp-client.ts). */
export interface TestClient extends XmppTestClient {
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
  const presence = opts.presence === null ? undefined : xml('presence', {}, xml('priority', {}, String(opts.presence ?? 0)));
  const tc = await startXmppClient({ service, domain: t.config.xmpp.domain, username, password: t.config.xmpp.password, resource, timeoutMs: 3000, clients: t.clients, presence });
  return {
    ...tc,
    bodies() {
      return tc.inbox.filter((s) => s.is('message') && s.getChildText('body') !== null).map((s) => s.getChildText('body')!);
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
