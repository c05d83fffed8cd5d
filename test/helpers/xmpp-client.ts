// A real @xmpp/client logged in to a sandbox under test, with an inbox of the stanzas it
// received. The one test client of the XMPP, interop and inspector harnesses.

import { client, type Client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { Inbox } from './inbox';

export interface XmppTestClient {
  c: Client;
  /** The full JID the server bound (RFC 6120 §7). */
  jid: string;
  /** Stanzas received and not yet taken by next(), in arrival order. */
  inbox: Element[];
  /** Resolves with the first stanza (already received or future) matching `pred`, taking it out of the inbox. */
  next(pred: (s: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Stops the client (see stopClient). */
  stop(): Promise<void>;
}

export interface XmppTestClientOptions {
  service: string;
  domain: string;
  username: string;
  password: string;
  resource?: string;
  /** next()'s default timeout. */
  timeoutMs: number;
  /**
   * Initial presence (RFC 6121 §4.2), sent in the same turn as start() resolves. The tests rely
   * on that timing: sent a few ticks later, by the caller, it was processed after a message
   * another client sent next, which then went to offline storage. None when omitted.
   */
  presence?: Element;
  /** The client is added here before it starts, so the caller's clean-up stops it even when start() fails. */
  clients?: Client[];
}

/** Starts a client and resolves once it is bound (and its initial presence, if any, is sent). */
export async function startXmppClient(o: XmppTestClientOptions): Promise<XmppTestClient> {
  const c = client({ service: o.service, domain: o.domain, username: o.username, password: o.password, resource: o.resource });
  c.on('error', () => {});
  o.clients?.push(c);
  const inbox = new Inbox<Element>(o.timeoutMs, (ms) => `no matching stanza within ${ms} ms for ${o.username}/${o.resource}`);
  c.on('stanza', (s: Element) => inbox.push(s));
  const address = await c.start();
  if (o.presence) await c.send(o.presence);
  return {
    c,
    jid: address.toString(),
    inbox: inbox.items,
    next: (pred, timeoutMs) => inbox.next(pred, timeoutMs),
    stop: () => stopClient(c),
  };
}

/** Stops a client without reconnecting; gives up after 2 s (stop() can hang on a closed socket). */
export async function stopClient(c: Client): Promise<void> {
  try {
    c.reconnect?.stop();
  } catch {
    // already stopped
  }
  await Promise.race([c.stop().catch(() => {}), new Promise((r) => setTimeout(r, 2000))]);
}
