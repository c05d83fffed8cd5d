// RFC 6120 §6 SASL negotiation, transport-neutral: the stream layer feeds it <auth>,
// <response> and <abort> payloads (base64 text) and writes what it returns.
// Mechanisms: SCRAM-SHA-1 (RFC 5802), PLAIN (RFC 4616), ANONYMOUS (RFC 4505, only when
// enabled: docs/interop.md §1.4 explain why it is off by default).

import { randomBytes } from 'node:crypto';
import { JidError, parseJid } from '../jid';
import type { AccountStore } from '../session';
import { ScramSha1Server } from './scram';

export type SaslFailureCondition =
  | 'aborted'
  | 'incorrect-encoding'
  | 'invalid-authzid'
  | 'invalid-mechanism'
  | 'malformed-request'
  | 'not-authorized';

export type SaslResult =
  | { kind: 'challenge'; data: string }
  | { kind: 'success'; data: string; username: string }
  | { kind: 'failure'; condition: SaslFailureCondition; reason: string };

export function offeredMechanisms(allowAnonymous: boolean): string[] {
  return allowAnonymous ? ['SCRAM-SHA-1', 'PLAIN', 'ANONYMOUS'] : ['SCRAM-SHA-1', 'PLAIN'];
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** RFC 6120 §6.4.2: "=" means an empty response; anything else must be base64. */
function decode(text: string): string | null {
  const t = text.trim();
  if (t === '=' || t === '') return '';
  if (!BASE64.test(t) || t.length % 4 !== 0) return null;
  return Buffer.from(t, 'base64').toString('utf8');
}

/** A username is acceptable when it is a valid JID localpart (RFC 7622 §3.3). */
function checkUsername(username: string, domain: string): string | null {
  try {
    return parseJid(`${username}@${domain}`).local;
  } catch (e) {
    if (e instanceof JidError) return null;
    throw e;
  }
}

export class SaslNegotiation {
  private scram: ScramSha1Server | null = null;
  private mechanism: string | null = null;

  constructor(
    private readonly accounts: AccountStore,
    private readonly domain: string,
    private readonly allowAnonymous: boolean,
  ) {}

  get inProgress(): boolean {
    return this.mechanism !== null;
  }

  /** <auth mechanism='…'>initial response</auth> */
  start(mechanism: string, payload: string): SaslResult {
    this.mechanism = null;
    this.scram = null;
    if (!offeredMechanisms(this.allowAnonymous).includes(mechanism)) {
      return { kind: 'failure', condition: 'invalid-mechanism', reason: `mechanism '${mechanism}' not offered` };
    }
    const data = decode(payload);
    if (data === null) return { kind: 'failure', condition: 'incorrect-encoding', reason: 'initial response is not base64' };
    switch (mechanism) {
      case 'PLAIN':
        return this.plain(data);
      case 'ANONYMOUS':
        // RFC 4505: the trace token is informational; every login gets a fresh identity.
        return { kind: 'success', data: '', username: 'anon-' + randomBytes(6).toString('hex') };
      default: {
        this.mechanism = mechanism;
        this.scram = new ScramSha1Server((u) => this.password(u));
        return this.scramStep(data);
      }
    }
  }

  /** <response>…</response> */
  respond(payload: string): SaslResult {
    if (!this.scram) return { kind: 'failure', condition: 'malformed-request', reason: '<response/> without an exchange in progress' };
    const data = decode(payload);
    if (data === null) {
      this.mechanism = null;
      return { kind: 'failure', condition: 'incorrect-encoding', reason: 'response is not base64' };
    }
    return this.scramStep(data);
  }

  abort(): SaslResult {
    this.mechanism = null;
    this.scram = null;
    return { kind: 'failure', condition: 'aborted', reason: 'client aborted' };
  }

  private password(username: string): string | null {
    const local = checkUsername(username, this.domain);
    if (local === null || local !== username) return null;
    return this.accounts.passwordFor(local);
  }

  private scramStep(data: string): SaslResult {
    const r = this.scram!.next(data);
    if (r.kind !== 'challenge') {
      this.mechanism = null;
      this.scram = null;
    }
    return r;
  }

  /** RFC 4616: [authzid] NUL authcid NUL passwd */
  private plain(data: string): SaslResult {
    const parts = data.split('\u0000');
    if (parts.length !== 3) return { kind: 'failure', condition: 'malformed-request', reason: 'bad PLAIN message' };
    const [authzid, authcid, passwd] = parts;
    const username = authcid.toLowerCase();
    const expected = this.password(username);
    if (expected === null || expected !== passwd) return { kind: 'failure', condition: 'not-authorized', reason: expected === null ? `user '${authcid}' may not log in` : 'wrong password' };
    if (authzid && authzid.toLowerCase() !== `${username}@${this.domain}` && authzid.toLowerCase() !== username) {
      return { kind: 'failure', condition: 'invalid-authzid', reason: `authzid '${authzid}' is not the user` };
    }
    return { kind: 'success', data: '', username };
  }
}
