// The server the tests run against: a sandbox of their own, started in this process on free
// ports (xmpp-sandbox's startSandbox), unless XMPP_SERVICE is set: then that server, with the
// accounts the environment names (XMPP_USERNAME/XMPP_PASSWORD for the workers,
// TEST_XMPP_USERNAME/TEST_XMPP_PASSWORD for the test's own client).

import { client, xml, type Client, type Element } from '@xmpp/client';
import { startSandbox } from 'xmpp-sandbox';
import { configFromEnv, type WorkerConfig } from '../src/config.js';

export interface TestServer {
  /** Worker settings for this server; tests override the resource. */
  worker: WorkerConfig;
  tester: { username: string; password: string };
  external: boolean;
  stop(): Promise<void>;
}

export async function testServer(): Promise<TestServer> {
  const env = process.env;
  const base = configFromEnv(env);
  if (env.XMPP_SERVICE) {
    return {
      worker: { ...base, settleMs: Math.max(base.settleMs, 100) },
      tester: { username: env.TEST_XMPP_USERNAME || 'tester', password: env.TEST_XMPP_PASSWORD || base.password },
      external: true,
      stop: async () => {},
    };
  }
  const sandbox = await startSandbox({ domain: base.domain });
  const e = sandbox.endpoints;
  return {
    worker: { ...base, service: e.c2s, domain: e.domain, password: e.password, settleMs: 100 },
    tester: { username: 'tester', password: e.password },
    external: false,
    stop: () => sandbox.stop(),
  };
}

/** A plain client that sends commands and collects the answers. */
export interface Tester {
  jid: string;
  send(to: string, body: string, attrs?: { type?: string; thread?: string }): Promise<void>;
  /** Every message received so far. */
  received: Element[];
  /** Waits until `pred` holds over the received messages. */
  until(pred: (received: Element[]) => boolean, timeoutMs?: number, what?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTester(server: TestServer, resource = `t${process.pid}`): Promise<Tester> {
  const w = server.worker;
  const xmpp: Client = client({ service: w.service, domain: w.domain, username: server.tester.username, password: server.tester.password, resource });
  xmpp.on('error', () => {});
  const received: Element[] = [];
  xmpp.on('stanza', (s: Element) => {
    if (s.name === 'message') received.push(s);
  });
  const jid = (await xmpp.start()).toString();
  return {
    jid,
    received,
    async send(to, body, attrs = {}) {
      const thread = attrs.thread === undefined ? undefined : xml('thread', {}, attrs.thread);
      await xmpp.send(xml('message', { to, type: attrs.type }, xml('body', {}, body), thread));
    },
    async until(pred, timeoutMs = 10_000, what = 'the expected messages') {
      const deadline = Date.now() + timeoutMs;
      while (!pred(received)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${received.map((m) => m.getChildText('body')).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}

export const bodies = (ms: readonly Element[]) => ms.map((m) => m.getChildText('body') ?? '');
