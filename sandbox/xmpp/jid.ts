// JIDs per RFC 7622, simplified for a local sandbox: no PRECIS/stringprep, but the
// structural rules and size limits are enforced so bad input gets `jid-malformed`
// (RFC 6120 §8.3.3.8) instead of being routed somewhere surprising. No Node APIs: the
// webview checks stanzas' addresses with it too (sandbox/xmpp/stanza-validator.ts).

import { utf8ByteLength } from './xml/utf8';

export interface Jid {
  readonly local: string; // '' when absent
  readonly domain: string;
  readonly resource: string; // '' when absent
  /** local@domain (or domain) */
  readonly bare: string;
  /** bare/resource (or bare) */
  readonly full: string;
}

export class JidError extends Error {
  readonly condition = 'jid-malformed';
  constructor(message: string) {
    super(message);
    this.name = 'JidError';
  }
}

// RFC 7622 §3.3.1: localpart must not contain these (plus whitespace and controls).
const LOCAL_FORBIDDEN = /[\s"&'/:<>@\u0000-\u001f\u007f]/;
// A domain label: letters, digits, hyphen, underscore (common in components), dots between labels.
const DOMAIN_OK = /^(?:\[[0-9a-fA-F:.]+\]|[\p{L}\p{N}_](?:[\p{L}\p{N}_-]*[\p{L}\p{N}_])?(?:\.[\p{L}\p{N}_](?:[\p{L}\p{N}_-]*[\p{L}\p{N}_])?)*)$/u;
const MAX_PART_BYTES = 1023; // RFC 7622 §3.2, §3.3, §3.4

function make(local: string, domain: string, resource: string): Jid {
  const bare = local ? `${local}@${domain}` : domain;
  const full = resource ? `${bare}/${resource}` : bare;
  return Object.freeze({ local, domain, resource, bare, full });
}

/** Parse and validate a JID string; throws JidError (condition jid-malformed). */
export function parseJid(input: string): Jid {
  if (typeof input !== 'string' || input.length === 0) throw new JidError('empty JID');
  // RFC 7622 §3.1: the resource is everything after the first '/', the local part
  // everything before the first '@' that precedes it.
  const slash = input.indexOf('/');
  const beforeResource = slash === -1 ? input : input.slice(0, slash);
  const resource = slash === -1 ? '' : input.slice(slash + 1);
  const at = beforeResource.indexOf('@');
  const local = at === -1 ? '' : beforeResource.slice(0, at);
  let domain = at === -1 ? beforeResource : beforeResource.slice(at + 1);
  if (domain.endsWith('.')) domain = domain.slice(0, -1); // RFC 7622 §3.2: trailing dot stripped
  if (at !== -1 && local === '') throw new JidError(`empty localpart in '${input}'`);
  if (slash !== -1 && resource === '') throw new JidError(`empty resourcepart in '${input}'`);
  if (!domain) throw new JidError(`empty domainpart in '${input}'`);
  if (!DOMAIN_OK.test(domain)) throw new JidError(`invalid domainpart '${domain}'`);
  if (local && LOCAL_FORBIDDEN.test(local)) throw new JidError(`invalid character in localpart '${local}'`);
  if (/[\u0000-\u001f\u007f]/.test(resource)) throw new JidError('control character in resourcepart');
  if (utf8ByteLength(local) > MAX_PART_BYTES || utf8ByteLength(domain) > MAX_PART_BYTES || utf8ByteLength(resource) > MAX_PART_BYTES) {
    throw new JidError('JID part longer than 1023 bytes');
  }
  // Case-insensitive local and domain parts (a simplification of PRECIS UsernameCaseMapped).
  return make(local.toLowerCase(), domain.toLowerCase(), resource);
}

/** Parse, returning null instead of throwing. */
export function tryParseJid(input: string | undefined | null): Jid | null {
  if (input == null) return null;
  try {
    return parseJid(input);
  } catch {
    return null;
  }
}

export function jid(local: string, domain: string, resource = ''): Jid {
  return parseJid((local ? `${local}@` : '') + domain + (resource ? `/${resource}` : ''));
}

export function withResource(j: Jid, resource: string): Jid {
  return make(j.local, j.domain, resource);
}

export function toBare(j: Jid): Jid {
  return j.resource ? make(j.local, j.domain, '') : j;
}
