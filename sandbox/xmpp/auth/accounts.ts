// Who may log in (product guide: no sign-up step). Any local username logs in with the
// sandbox password; a username declared in config.xmpp.accounts uses its own password. A
// scenario run against the running sandbox declares its characters' accounts and component
// secrets for its duration (RunCredentials): they win over the config while the run lasts and
// are gone after it, so the sandbox is left as its settings made it.

import type { SandboxConfig } from '../../config';
import type { AccountStore } from '../session';

/** Accounts (username → password) and component secrets (domain → secret), as the config declares them. */
export interface Credentials {
  accounts: Record<string, string>;
  components: Record<string, string>;
}

/**
 * Credentials declared at runtime, each set until its release: a scenario run's characters
 * (sandbox/scenario/live.ts). Two runs may declare the same account only with the same password.
 */
export class RunCredentials {
  private readonly accounts = new Map<string, { secret: string; holders: number }>();
  private readonly components = new Map<string, { secret: string; holders: number }>();

  /** Declares `c` until the returned release is called; throws, declaring nothing, on a conflict with a set still declared. */
  declare(c: Credentials): () => void {
    const entries = [
      ...Object.entries(c.accounts).map(([k, v]) => [this.accounts, k.toLowerCase(), v, `account ${k}`] as const),
      ...Object.entries(c.components).map(([k, v]) => [this.components, k.toLowerCase(), v, `component ${k}`] as const),
    ];
    for (const [table, key, secret, what] of entries) {
      const held = table.get(key);
      if (held && held.secret !== secret) throw new Error(`the ${what} is declared with another password by a run still going`);
    }
    for (const [table, key, secret] of entries) {
      const held = table.get(key) ?? { secret, holders: 0 };
      held.holders++;
      table.set(key, held);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const [table, key] of entries) {
        const held = table.get(key)!;
        if (--held.holders === 0) table.delete(key);
      }
    };
  }

  password(username: string): string | undefined {
    return this.accounts.get(username)?.secret;
  }

  secret(domain: string): string | undefined {
    return this.components.get(domain)?.secret;
  }
}

export class ConfigAccountStore implements AccountStore {
  private readonly accounts: Map<string, string>;
  private readonly password: string;

  constructor(
    private readonly config: SandboxConfig,
    private readonly runs = new RunCredentials(),
  ) {
    this.password = config.xmpp.password;
    // Usernames are compared lower-cased (jid.ts case-folds localparts).
    this.accounts = new Map(Object.entries(config.xmpp.accounts).map(([u, p]) => [u.toLowerCase(), p]));
  }

  passwordFor(username: string): string | null {
    if (!username) return null;
    return this.runs.password(username) ?? this.accounts.get(username) ?? this.password;
  }

  componentSecret(domain: string): string | undefined {
    const own = this.runs.secret(domain);
    if (own !== undefined) return own;
    const declared = this.config.xmpp.components;
    return Object.prototype.hasOwnProperty.call(declared, domain) ? declared[domain] : undefined;
  }
}
