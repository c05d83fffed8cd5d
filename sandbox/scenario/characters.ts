// What a sandbox must accept for a script's characters: each client's account and each
// component's secret, as the script declares them. The embedded sandbox starts with them
// (embedded.ts); a run on the sandbox already running declares them for its duration (live.ts).

import type { Credentials } from '../xmpp/auth/accounts';
import { parseJid } from '../xmpp/jid';
import type { Script } from './parser';

export interface EmbeddedCharacter {
  name: string;
  class: 'Client' | 'Component';
  /** Bare JID (a client) or domain (a component), after any --domain rewrite. */
  local: string;
  domain: string;
  password: string;
}

/** The script's clients and components, their JIDs rewritten to the server's domain. */
export function embeddedCharacters(script: Script, rewrite: (t: string) => string): EmbeddedCharacter[] {
  return script.characters.flatMap((c): EmbeddedCharacter[] => {
    if (c.class === 'Queue') return [];
    const j = parseJid(rewrite(c.properties.jid!.value));
    return [{ name: c.name, class: c.class, local: j.local, domain: j.domain, password: c.properties.password!.value }];
  });
}

/**
 * What a sandbox serving `domain` must accept for the characters: clients' accounts (local part →
 * password) and components' secrets (domain → secret). Throws when a client is on another
 * domain, or two characters are one account with different passwords.
 */
export function declaredCredentials(domain: string, characters: readonly EmbeddedCharacter[]): Credentials {
  const accounts: Record<string, string> = {};
  const components: Record<string, string> = {};
  const owner: Record<string, string> = {};
  for (const c of characters) {
    if (c.class === 'Client' && c.domain !== domain) {
      throw new Error(`${c.name}'s JID is on ${c.domain}, but the sandbox serves one domain, ${domain} (run against a server of your own with --server)`);
    }
    const [table, key] = c.class === 'Client' ? [accounts, c.local] : [components, c.domain];
    if (table[key] !== undefined && table[key] !== c.password) {
      throw new Error(`${owner[key]} and ${c.name} are the same ${c.class === 'Client' ? 'account' : 'component'} (${c.class === 'Client' ? `${key}@${domain}` : key}) with different passwords`);
    }
    table[key] = c.password;
    owner[key] = c.name;
  }
  return { accounts, components };
}
