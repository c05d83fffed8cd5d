// The servers the tests run against: a sandbox of their own (xmpp-sandbox's startSandbox: XMPP
// server, component listener and Redis-compatible queue, in this process on free ports),
// unless XMPP_SERVICE is set: then that XMPP server, the component settings and REDIS_URL
// from the environment, and TEST_XMPP_USERNAME/TEST_XMPP_PASSWORD for the test's own client.
// The lists get a per-run suffix so a shared Redis is not disturbed.

import { client, xml, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { startSandbox } from 'xmpp-sandbox';
import { configFromEnv, type BridgeConfig } from '../src/config.js';

export interface TestServers {
  bridge: BridgeConfig;
  client: { service: string; domain: string; username: string; password: string };
  stop(): Promise<void>;
}

export async function testServers(): Promise<TestServers> {
  const env = process.env;
  const run = `test-${process.pid}-${Date.now()}`;
  const base = configFromEnv({ ...env, OUTBOX_LIST: undefined, PROCESSING_LIST: undefined, DEAD_LETTER_LIST: undefined, REPLY_LIST: undefined });
  const lists = { outbox: `${base.outbox}:${run}`, processing: `${base.outbox}:${run}:processing`, deadLetters: `${base.outbox}:${run}:dead`, replies: `${base.replies}:${run}` };
  if (env.XMPP_SERVICE) {
    return {
      bridge: { ...base, ...lists },
      client: { service: env.XMPP_SERVICE, domain: env.XMPP_DOMAIN || 'localhost', username: env.TEST_XMPP_USERNAME || 'tester', password: env.TEST_XMPP_PASSWORD || 'sandbox' },
      stop: async () => {},
    };
  }
  const sandbox = await startSandbox({ components: { [base.domain]: base.secret } });
  const e = sandbox.endpoints;
  return {
    bridge: { ...base, ...lists, service: e.component!, redisUrl: e.queue! },
    client: { service: e.c2s, domain: e.domain, username: 'tester', password: e.password },
    stop: () => sandbox.stop(),
  };
}

/** A client that is available (so it gets messages) and keeps what it receives. */
export async function startClient(s: TestServers): Promise<{ jid: string; xmpp: Client; received: Element[]; until(pred: () => boolean, what: string): Promise<void>; stop(): Promise<void> }> {
  const xmpp = client({ ...s.client, resource: `t${process.pid}` });
  xmpp.on('error', () => {});
  const received: Element[] = [];
  xmpp.on('stanza', (st: Element) => {
    if (st.name === 'message') received.push(st);
  });
  const jid = (await xmpp.start()).toString();
  await xmpp.send(xml('presence', {}));
  return {
    jid,
    xmpp,
    received,
    async until(pred, what) {
      const deadline = Date.now() + 10_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${received.map(String).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async stop() {
      xmpp.reconnect.stop();
      await xmpp.stop().catch(() => undefined);
    },
  };
}
