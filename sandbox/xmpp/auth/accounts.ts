// Who may log in (product guide: no sign-up step). Any local username logs in with the
// sandbox password; a username declared in config.xmpp.accounts uses its own password.

import type { SandboxConfig } from '../../config';
import type { AccountStore } from '../session';

export class ConfigAccountStore implements AccountStore {
  private readonly accounts: Map<string, string>;
  private readonly password: string;

  constructor(config: SandboxConfig) {
    this.password = config.xmpp.password;
    // Usernames are compared lower-cased (jid.ts case-folds localparts).
    this.accounts = new Map(Object.entries(config.xmpp.accounts).map(([u, p]) => [u.toLowerCase(), p]));
  }

  passwordFor(username: string): string | null {
    if (!username) return null;
    const own = this.accounts.get(username);
    return own !== undefined ? own : this.password;
  }
}
