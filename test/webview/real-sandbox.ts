// The real sandbox for the inspector tests: createSandbox (sandbox/index.ts) on port 0 with
// two @xmpp/client apps. Recording = the scenario played by real clients, then
// control.call('trace.snapshot', {}).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import type { ControlApi, Endpoints, SessionInfo } from '../../sandbox/control/api';
import type { ArrivalEvent, TraceEvent } from '../../sandbox/trace/events';
import type { InspectorBackend } from '../../src/inspector/controller';
import { startXmppClient, stopClient, type XmppTestClient } from '../helpers/xmpp-client';
import { XSS_BODIES } from './fixture';

export interface RealSandbox {
  control: ControlApi;
  endpoints: Endpoints;
  backend: InspectorBackend;
  connect(username: string, resource: string): Promise<ClientHandle>;
  /** Stop and start again (as the extension's restart does): onDidChangeRunning fires false, then true. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export type ClientHandle = XmppTestClient;

export async function startRealSandbox(): Promise<RealSandbox> {
  // require, not a static import: this file also serves the fixture-only runs, which must load
  // while the sandbox is incomplete.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSandbox } = require('../../sandbox/index') as typeof import('../../sandbox/index');
  const dataDir = await mkdtemp(join(tmpdir(), 'inspector-sandbox-'));
  const sandbox = createSandbox({
    dataDir,
    host: '127.0.0.1',
    xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0 },
    queue: { enabled: false },
    bridge: { enabled: false },
    trace: { enabled: true, bufferSize: 100_000 },
  } as never);
  let endpoints = await sandbox.start();
  const clients: Client[] = [];
  let running = true;
  const runningListeners = new Set<(r: boolean) => void>();
  const backend: InspectorBackend = {
    call: (m, p) => sandbox.control.call(m, p),
    onEvent: (l, o) => sandbox.control.onEvent(l, o),
    get running() {
      return running;
    },
    onDidChangeRunning(l) {
      runningListeners.add(l);
      return { dispose: () => runningListeners.delete(l) };
    },
  };
  const setRunning = (r: boolean): void => {
    running = r;
    for (const l of runningListeners) l(r);
  };
  return {
    control: sandbox.control,
    get endpoints() {
      return endpoints;
    },
    backend,
    async restart() {
      for (const c of clients.splice(0)) await stopClient(c);
      setRunning(false);
      await sandbox.stop();
      endpoints = await sandbox.start();
      setRunning(true);
    },
    connect(username, resource) {
      return startXmppClient({ service: endpoints.c2s, domain: endpoints.domain, username, password: endpoints.password, resource, timeoutMs: 5000, clients });
    },
    async stop() {
      for (const c of clients) await stopClient(c);
      if (running) setRunning(false);
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const hasBody = (body: string) => (s: Element) => s.is('message') && s.getChildText('body') === body;

/**
 * The scenario on the real sandbox: two clients exchange messages, alice pings the server,
 * writes to an offline user and to a resource that does not exist, and sends the XSS bodies.
 */
export async function recordScenario(): Promise<{ events: TraceEvent[]; ids: Record<string, string>; sessions: SessionInfo[]; domain: string; jids: { alice: string; bob: string } }> {
  const sb = await startRealSandbox();
  try {
    const domain = sb.endpoints.domain;
    const alice = await sb.connect('alice', 'laptop');
    const bob = await sb.connect('bob', 'phone');
    await alice.c.send(xml('presence', {}, xml('priority', {}, '1')));
    await bob.c.send(xml('presence', {}, xml('priority', {}, '1')));
    await alice.c.send(xml('message', { to: `bob@${domain}`, type: 'chat', id: 'chat-1' }, xml('body', {}, 'Hello Bob')));
    await bob.next(hasBody('Hello Bob'));
    await bob.c.send(xml('message', { to: alice.jid, type: 'chat', id: 'chat-2' }, xml('body', {}, 'Hi Alice')));
    await alice.next(hasBody('Hi Alice'));
    await alice.c.iqCaller.request(xml('iq', { type: 'get', to: domain, id: 'ping-1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    await alice.c.send(xml('message', { to: `carol@${domain}`, type: 'chat', id: 'offline-1' }, xml('body', {}, 'You were away')));
    await alice.c.iqCaller.request(xml('iq', { type: 'get', to: `bob@${domain}/nowhere`, id: 'version-1' }, xml('query', { xmlns: 'jabber:iq:version' }))).catch(() => undefined);
    for (const [i, body] of XSS_BODIES.entries()) {
      await alice.c.send(xml('message', { to: `bob@${domain}`, type: 'chat', id: `xss-${i + 1}` }, xml('body', {}, body)));
      await bob.next(hasBody(body));
    }
    // One more round trip so every earlier stanza has reached its outcome.
    await alice.c.iqCaller.request(xml('iq', { type: 'get', to: domain, id: 'sync-1' }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    const sessions = await sb.control.call('sessions.list', {});
    const events = await sb.control.call('trace.snapshot', {});
    const arrivals = events.filter((e): e is ArrivalEvent => e.type === 'arrival');
    const find = (what: string, pred: (a: ArrivalEvent) => boolean): string => {
      const a = arrivals.find(pred);
      if (!a) throw new Error(`recording: no arrival for ${what}`);
      return a.packetId;
    };
    const chat1 = find('chat P1', (a) => a.kind === 'message' && a.direction === 'out' && a.id === 'chat-1');
    const xss1 = find('xss 1', (a) => a.direction === 'out' && a.id === 'xss-1');
    const xss2 = find('xss 2', (a) => a.direction === 'out' && a.id === 'xss-2');
    const ping = find('ping', (a) => a.kind === 'iq' && a.id === 'ping-1' && a.stanzaType === 'get');
    const ids = {
      chat1,
      chat2: find('chat P2', (a) => a.parentId === chat1),
      reply1: find('reply', (a) => a.direction === 'out' && a.id === 'chat-2'),
      ping,
      pong: find('pong', (a) => a.kind === 'iq' && a.id === 'ping-1' && a.stanzaType === 'result'),
      // The packet that ended in the offline store (the copy made for carol).
      offline: find('offline', (a) => a.id === 'offline-1' && events.some((e) => e.type === 'outcome' && e.packetId === a.packetId && e.outcome === 'stored-offline')),
      bounced: find('version', (a) => a.id === 'version-1' && a.stanzaType === 'get'),
      xss1,
      xss2,
    };
    return { events, ids, sessions, domain, jids: { alice: alice.jid, bob: bob.jid } };
  } finally {
    await sb.stop();
  }
}
