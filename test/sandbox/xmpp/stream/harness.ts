// Test support for the stream layer: a small SessionManagerPort that routes stanzas by
// full JID (or bare JID → first resource, or component domain), plus server start-up and
// raw-socket helpers. For these tests only; the real session manager is sandbox/xmpp/core.

import { randomBytes } from 'node:crypto';
import * as net from 'node:net';
import type { Element } from '@xmpp/xml';
import { resolveConfig, type DeepPartial, type SandboxConfig } from '../../../../sandbox/config';
import { LogHub } from '../../../../sandbox/log';
import { withResource, tryParseJid, type Jid } from '../../../../sandbox/xmpp/jid';
import { BindError, type SessionManagerPort, type StreamSession } from '../../../../sandbox/xmpp/session';
import { cloneElement } from '../../../../sandbox/xmpp/xml/clone';
import { ConfigAccountStore } from '../../../../sandbox/xmpp/auth/accounts';
import { createStreamListeners, type StreamListeners } from '../../../../sandbox/xmpp/stream/listeners';

export class TestSessionManager implements SessionManagerPort {
  readonly byFull = new Map<string, StreamSession>();
  readonly components = new Map<string, StreamSession>();
  readonly events: string[] = [];
  readonly endedUnacked = new Map<string, Element[]>();
  readonly received: { session: string; stanza: Element }[] = [];
  constructor(readonly domain: string) {}

  bind(session: StreamSession, bare: Jid, requestedResource: string | null): Jid {
    if (requestedResource === 'forbidden') throw new BindError('not-allowed', 'test: forbidden resource');
    const full = withResource(bare, requestedResource ?? 'gen-' + randomBytes(4).toString('hex'));
    const old = this.byFull.get(full.full);
    if (old && old !== session) old.close('conflict', 'replaced by a new connection');
    this.byFull.set(full.full, session);
    this.events.push(`bind ${session.id} ${full.full}`);
    return full;
  }

  receive(session: StreamSession, stanza: Element): void {
    this.received.push({ session: session.id, stanza });
    const from = session.kind === 'c2s' ? session.jid!.full : stanza.attrs.from;
    const to = tryParseJid(stanza.attrs.to);
    // Echo IQs addressed to the server (or without `to`) so clients' requests complete.
    if (!to || to.full === this.domain) {
      if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) {
        const reply = cloneElement(stanza);
        reply.attrs = { type: 'result', id: stanza.attrs.id, to: from, from: this.domain };
        reply.children = [];
        session.send(reply);
      }
      return;
    }
    const target = this.components.get(to.domain) ?? this.byFull.get(to.full) ?? [...this.byFull.entries()].find(([k]) => k.startsWith(to.bare + '/'))?.[1];
    if (!target) return;
    const copy = cloneElement(stanza);
    copy.attrs.from = from;
    target.send(copy);
  }

  componentUp(session: StreamSession): boolean {
    const d = session.jid!.domain;
    if (this.components.has(d)) return false;
    this.components.set(d, session);
    this.events.push(`componentUp ${session.id} ${d}`);
    return true;
  }

  ended(session: StreamSession, unacked: Element[]): void {
    this.events.push(`ended ${session.id}`);
    this.endedUnacked.set(session.id, unacked);
    for (const [k, s] of this.byFull) if (s === session) this.byFull.delete(k);
    for (const [k, s] of this.components) if (s === session) this.components.delete(k);
  }

  detached(session: StreamSession): void {
    this.events.push(`detached ${session.id}`);
  }

  resumed(session: StreamSession): void {
    this.events.push(`resumed ${session.id}`);
  }

  streamFeatures(): Element[] {
    return [];
  }
}

export interface Harness {
  config: SandboxConfig;
  sm: TestSessionManager;
  listeners: StreamListeners;
  ports: { c2sPort: number; wsPort: number | null; componentPort: number | null };
  warnings: string[];
}

export async function startHarness(over: DeepPartial<SandboxConfig> = {}): Promise<Harness> {
  const config = resolveConfig({
    ...over,
    dataDir: '/nonexistent-not-used',
    xmpp: { c2sPort: 0, wsPort: 0, componentPort: 0, ...(over.xmpp ?? {}) },
  });
  const hub = new LogHub('debug');
  const warnings: string[] = [];
  hub.addSink((level, msg) => {
    if (level === 'warn' || level === 'error') warnings.push(msg);
    if (process.env.STREAM_TEST_LOG) console.error(level, msg);
  });
  const sm = new TestSessionManager(config.xmpp.domain);
  const listeners = createStreamListeners({ config, sm, accounts: new ConfigAccountStore(config), log: hub.logger() });
  const ports = await listeners.start();
  return { config, sm, listeners, ports, warnings };
}

/** A raw TCP client that collects everything the server writes. */
export class RawClient {
  readonly socket: net.Socket;
  data = '';
  closed = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.data += d;
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(s: string | Buffer): void {
    this.socket.write(s);
  }

  /** Wait until the received data matches (or the socket closes, or 5 s pass). */
  async waitFor(re: RegExp, ms = 5000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!re.test(this.data)) {
      if (this.closed) throw new Error(`socket closed before ${re}; got: ${this.data}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${re}; got: ${this.data}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return this.data;
  }

  async waitClosed(ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('socket not closed');
      await new Promise<void>((r) => {
        const t = setTimeout(r, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export const STREAM_HEADER = `<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>`;

/** Log a raw client in with PLAIN and bind `resource`; returns the client after bind. */
export async function rawLogin(port: number, user: string, password: string, resource: string): Promise<RawClient> {
  const c = await RawClient.connect(port);
  c.write(STREAM_HEADER);
  await c.waitFor(/<\/stream:features>/);
  c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
  await c.waitFor(/<success/);
  c.data = '';
  c.write(STREAM_HEADER);
  await c.waitFor(/<\/stream:features>/);
  c.data = '';
  c.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
  await c.waitFor(/<\/iq>/);
  c.data = '';
  return c;
}
