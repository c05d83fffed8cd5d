// SCRAM-SHA-1 server side (RFC 5802 §3, §5), as @xmpp/client 0.14 speaks it (protocol
// notes §1.4): no channel binding ("n,," / c=biws), no SASLprep (passwords are ASCII, see
// config validation), the client's extra `mechanism` attribute on <response> is ignored.

import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export const SCRAM_ITERATIONS = 4096;

export type ScramStep =
  | { kind: 'challenge'; data: string }
  | { kind: 'success'; data: string; username: string }
  | { kind: 'failure'; condition: 'not-authorized' | 'malformed-request' | 'invalid-authzid'; reason: string };

interface SaltedEntry {
  salt: Buffer;
  salted: Buffer;
}

// PBKDF2 with 4096 rounds costs milliseconds; cache it per (username, password) so a burst
// of logins (tests, benches, reconnect loops) does not stall the event loop.
const saltedCache = new Map<string, SaltedEntry>();

function salted(username: string, password: string): SaltedEntry {
  const key = username + '\u0000' + password;
  let e = saltedCache.get(key);
  if (!e) {
    const salt = randomBytes(16);
    e = { salt, salted: pbkdf2Sync(password, salt, SCRAM_ITERATIONS, 20, 'sha1') };
    if (saltedCache.size > 1000) saltedCache.clear();
    saltedCache.set(key, e);
  }
  return e;
}

const hmac = (key: Buffer, s: string): Buffer => createHmac('sha1', key).update(s).digest();
const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();

/** RFC 5802 §5.1: parse "a=1,b=2" (values may contain '='). */
function attributes(s: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of s.split(',')) {
    if (part.length < 2 || part[1] !== '=') continue;
    m.set(part[0], part.slice(2));
  }
  return m;
}

/** RFC 5802 §5.1 saslname: "=2C" → ",", "=3D" → "="; any other '=' is malformed. */
function unescapeName(s: string): string | null {
  if (/=(?!2C|3D)/.test(s)) return null;
  return s.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

export class ScramSha1Server {
  private step = 0;
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  private username = '';
  private entry: SaltedEntry | null = null;

  constructor(private readonly passwordFor: (username: string) => string | null) {}

  /** Feed the client's (decoded) message; returns what to answer. */
  next(message: string): ScramStep {
    return this.step++ === 0 ? this.first(message) : this.final(message);
  }

  private first(msg: string): ScramStep {
    // gs2-header: "n,," (no channel binding, no authzid) or "y,," ; "p=" is unsupported.
    const m = /^([ny]),(a=[^,]*)?,(.*)$/s.exec(msg);
    if (!m) return { kind: 'failure', condition: 'malformed-request', reason: 'bad SCRAM client-first-message' };
    this.clientFirstBare = m[3];
    const a = attributes(this.clientFirstBare);
    const name = unescapeName(a.get('n') ?? '');
    const cnonce = a.get('r');
    if (!name || !cnonce) return { kind: 'failure', condition: 'malformed-request', reason: 'SCRAM client-first-message without n= or r=' };
    this.username = name.toLowerCase();
    if (m[2] && m[2].slice(2) && m[2].slice(2) !== name) return { kind: 'failure', condition: 'invalid-authzid', reason: 'authzid differs from username' };
    const password = this.passwordFor(this.username);
    // Unknown users still get a challenge (RFC 5802 §9: do not reveal which users exist).
    this.entry = password === null ? null : salted(this.username, password);
    const salt = this.entry ? this.entry.salt : randomBytes(16);
    this.nonce = cnonce + randomBytes(18).toString('base64');
    this.serverFirst = `r=${this.nonce},s=${salt.toString('base64')},i=${SCRAM_ITERATIONS}`;
    return { kind: 'challenge', data: this.serverFirst };
  }

  private final(msg: string): ScramStep {
    const p = msg.lastIndexOf(',p=');
    if (p === -1) return { kind: 'failure', condition: 'malformed-request', reason: 'SCRAM client-final-message without proof' };
    const withoutProof = msg.slice(0, p);
    const a = attributes(withoutProof);
    if (a.get('c') !== 'biws' && a.get('c') !== 'eSws') return { kind: 'failure', condition: 'not-authorized', reason: 'SCRAM channel binding mismatch' };
    if (a.get('r') !== this.nonce) return { kind: 'failure', condition: 'not-authorized', reason: 'SCRAM nonce mismatch' };
    if (!this.entry) return { kind: 'failure', condition: 'not-authorized', reason: `unknown user '${this.username}'` };
    const proof = Buffer.from(msg.slice(p + 3), 'base64');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientKey = hmac(this.entry.salted, 'Client Key');
    const storedKey = sha1(clientKey);
    const signature = hmac(storedKey, authMessage);
    if (proof.length !== signature.length) return { kind: 'failure', condition: 'not-authorized', reason: 'bad SCRAM proof' };
    const recovered = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) recovered[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha1(recovered), storedKey)) return { kind: 'failure', condition: 'not-authorized', reason: 'wrong password' };
    const serverSignature = hmac(hmac(this.entry.salted, 'Server Key'), authMessage);
    return { kind: 'success', data: `v=${serverSignature.toString('base64')}`, username: this.username };
  }
}
