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

/** `bridge`: run the embedded queue and the bridge component too (ports chosen by the OS). */
export async function startRealSandbox(opts: { bridge?: boolean } = {}): Promise<RealSandbox> {
  // require, not a static import: this file also serves the fixture-only runs, which must load
  // while the sandbox is incomplete.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createSandbox } = require('../../sandbox/index') as typeof import('../../sandbox/index');
  const dataDir = await mkdtemp(join(tmpdir(), 'inspector-sandbox-'));
  const sandbox = createSandbox({
    dataDir,
    host: '127.0.0.1',
    xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0 },
    queue: opts.bridge ? { port: 0 } : { enabled: false },
    bridge: { enabled: !!opts.bridge },
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
 * writes to an offline user (who comes online later and gets it out of the store) and to a
 * resource that does not exist, and sends the XSS bodies; an app pushes a stanza for bob to
 * the bridge's outbox, and an item the bridge refuses.
 */
export async function recordScenario(): Promise<{ events: TraceEvent[]; ids: Record<string, string>; sessions: SessionInfo[]; domain: string; jids: { alice: string; bob: string } }> {
  const sb = await startRealSandbox({ bridge: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require('ioredis') as typeof import('ioredis').default;
  const app = new Redis(sb.endpoints.queue!, { lazyConnect: true });
  try {
    await app.connect();
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
    // carol comes online: the stored message is delivered later, as a packet of its own.
    const carol = await sb.connect('carol', 'desk');
    // Presence once XEP-0198 is on, so carol's acknowledgements count what the flood sends (docs/interop.md §3.7).
    for (let i = 0; i < 250 && !carol.c.streamManagement.enabled; i++) await new Promise((r) => setTimeout(r, 20));
    await carol.c.send(xml('presence'));
    await carol.next(hasBody('You were away'));
    // Delivered once carol acknowledged it (XEP-0198 §4): the server asks for that on a timer.
    const delivered = async (): Promise<boolean> => {
      const trace = await sb.control.call('trace.snapshot', {});
      const d = trace.find((e) => e.type === 'arrival' && e.stored !== undefined);
      return !!d && trace.some((e) => e.type === 'outcome' && e.packetId === d.packetId && e.outcome === 'delivered');
    };
    for (let i = 0; i < 500 && !(await delivered()); i++) await new Promise((r) => setTimeout(r, 20));
    // Through the bridge: a stanza popped from the outbox, and an item it dead-letters.
    await app.lpush('xmpp:outbox', `<message to="${bob.jid}" type="chat" id="bridged-1"><body>From the queue</body></message>`);
    await bob.next(hasBody('From the queue'));
    await app.lpush('xmpp:outbox', '<message type="chat"><body>nowhere to go</body></message>');
    for (let i = 0; i < 500 && (await app.llen('xmpp:outbox:dead')) === 0; i++) await new Promise((r) => setTimeout(r, 20));
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
      delivery: find('offline delivery', (a) => a.id === 'offline-1' && a.stored !== undefined),
      bridged: find('bridged', (a) => a.id === 'bridged-1'),
      deadLetter: `dead${events.find((e) => e.type === 'queue' && e.op === 'dead-letter')?.seq ?? 'missing'}`,
    };
    return { events, ids, sessions, domain, jids: { alice: alice.jid, bob: bob.jid } };
  } finally {
    app.disconnect();
    await sb.stop();
  }
}
