// The server a scenario runs against when none is given: an in-process sandbox (createSandbox,
// sandbox/index.ts) on free ports of 127.0.0.1 with a temporary data directory, serving the
// script's domain and accepting exactly what its characters declare: each client's jid and
// password (config xmpp.accounts), each component's domain and secret (xmpp.components). So a
// script written for Prosody runs as it is. One sandbox per script: no state leaks between them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type Endpoints, type Sandbox } from '../index';

export interface EmbeddedCharacter {
  name: string;
  class: 'Client' | 'Component';
  /** Bare JID (a client) or domain (a component), after any --domain rewrite. */
  local: string;
  domain: string;
  password: string;
}

export interface EmbeddedServer {
  sandbox: Sandbox;
  endpoints: Endpoints;
  stop(): Promise<void>;
}

/** Starts a sandbox for `domain` that accepts the characters' credentials; throws on a conflict between them. */
export async function startEmbedded(domain: string, characters: readonly EmbeddedCharacter[], opts: { redis?: string; pluginDir?: string } = {}): Promise<EmbeddedServer> {
  const accounts: Record<string, string> = {};
  const components: Record<string, string> = {};
  const owner: Record<string, string> = {};
  for (const c of characters) {
    if (c.class === 'Client' && c.domain !== domain) {
      throw new Error(`${c.name}'s JID is on ${c.domain}, but the embedded sandbox serves one domain, ${domain} (run against a server of your own with --server)`);
    }
    const [table, key] = c.class === 'Client' ? [accounts, c.local] : [components, c.domain];
    if (table[key] !== undefined && table[key] !== c.password) {
      throw new Error(`${owner[key]} and ${c.name} are the same ${c.class === 'Client' ? 'account' : 'component'} (${c.class === 'Client' ? `${key}@${domain}` : key}) with different passwords`);
    }
    table[key] = c.password;
    owner[key] = c.name;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'xmpp-scenario-'));
  const sandbox = createSandbox({
    host: '127.0.0.1',
    dataDir,
    logLevel: 'error',
    xmpp: { domain, c2sPort: 0, wsPort: -1, componentPort: 0, accounts, components, pluginDir: opts.pluginDir ?? '' },
    queue: { port: 0, appendfsync: 'no' },
    bridge: { domain: `bridge.${domain}`, redisUrl: opts.redis ?? '' },
  });
  let endpoints: Endpoints;
  try {
    endpoints = await sandbox.start();
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    sandbox,
    endpoints,
    async stop() {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
