// The server a scenario runs against when none is given: an in-process sandbox (createSandbox,
// sandbox/index.ts) on free ports of 127.0.0.1 with a temporary data directory, serving the
// script's domain and accepting exactly what its characters declare: each client's jid and
// password (config xmpp.accounts), each component's domain and secret (xmpp.components). So a
// script written for Prosody runs as it is. One sandbox per script: no state leaks between them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSandbox, type Endpoints, type Sandbox } from '../index';
import { declaredCredentials, type EmbeddedCharacter } from './characters';

export interface EmbeddedServer {
  sandbox: Sandbox;
  endpoints: Endpoints;
  stop(): Promise<void>;
}

/** Starts a sandbox for `domain` that accepts the characters' credentials; throws on a conflict between them. */
export async function startEmbedded(domain: string, characters: readonly EmbeddedCharacter[], opts: { redis?: string; pluginDir?: string } = {}): Promise<EmbeddedServer> {
  const { accounts, components } = declaredCredentials(domain, characters);
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
