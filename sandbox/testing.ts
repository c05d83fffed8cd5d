// The sandbox as a test library (issue 9; README, "The sandbox as a test library"), the
// package's Node entry (`import { startSandbox } from 'xmpp-sandbox'`, built to dist/lib.js by
// esbuild.mjs's `lib` target). Like mongodb-memory-server: one call starts an in-process
// sandbox on free ports (0 = the OS picks, sandbox/config.ts) with a temporary data directory,
// and gives back its endpoints and a stop() that also removes that directory.
//
//   const sandbox = await startSandbox();
//   const xmpp = client({ service: sandbox.endpoints.c2s, domain: sandbox.endpoints.domain, username: 'w', password: sandbox.endpoints.password });
//   …
//   await sandbox.stop();

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigOverrides, ControlApi, Endpoints } from './control/api';
import type { LogLevel } from './log';
import { createSandbox } from './index';

export type { Endpoints, ConfigOverrides, ControlApi } from './control/api';

export interface StartSandboxOptions {
  /** Offline store and queue log. Default: a new temporary directory, removed by stop(). */
  dataDir?: string;
  /** The XMPP domain (default `localhost`). */
  domain?: string;
  /** The password any local username logs in with (default `sandbox`). */
  password?: string;
  /** Declared accounts: username → password. */
  accounts?: Record<string, string>;
  /** XEP-0114 components the server accepts, domain → secret (default bridge.localhost and component.localhost, secret `secret`). */
  components?: Record<string, string>;
  /** Bare-JID messages among equal top priorities: to all of them (default, as Prosody and ejabberd do, docs/interop.md §3.2) or round-robin. */
  tieBreak?: 'all' | 'round-robin';
  /** The built-in queue ↔ XMPP bridge (default on; its lists are xmpp:outbox and xmpp:inbox). */
  bridge?: boolean;
  /** Print the sandbox's log lines at or above this level to stderr (default: none). */
  logLevel?: LogLevel;
  /** Any other SandboxConfig field (README, the --config file's shape); the options above win. */
  config?: ConfigOverrides;
}

export interface RunningSandbox {
  /** Where to connect: c2s service URL, WebSocket, component listener, queue URL, password, components. */
  readonly endpoints: Endpoints;
  /** The control API (sessions, queue keys, offline store, trace), as the extension uses it. */
  readonly control: ControlApi;
  /** Stops every listener and connection; removes the data directory when startSandbox made it. */
  stop(): Promise<void>;
}

/** Starts a sandbox in this process on free loopback ports; resolves once it accepts connections. */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'xmpp-sandbox-')));
  const c = options.config ?? {};
  const overrides: ConfigOverrides = {
    ...c,
    dataDir,
    logLevel: options.logLevel ?? c.logLevel ?? 'error',
    xmpp: {
      ...c.xmpp,
      c2sPort: 0,
      wsPort: c.xmpp?.wsPort === -1 ? -1 : 0,
      componentPort: c.xmpp?.componentPort === -1 ? -1 : 0,
      ...(options.domain !== undefined ? { domain: options.domain } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.accounts !== undefined ? { accounts: options.accounts } : {}),
      ...(options.components !== undefined ? { components: options.components } : {}),
      ...(options.tieBreak !== undefined ? { tieBreak: options.tieBreak } : {}),
    },
    queue: { ...c.queue, port: 0 },
    bridge: { ...c.bridge, ...(options.bridge !== undefined ? { enabled: options.bridge } : {}) },
  };
  // A domain other than localhost: the built-in bridge follows it unless told otherwise.
  if (options.domain !== undefined && c.bridge?.domain === undefined) overrides.bridge = { ...overrides.bridge, domain: `bridge.${options.domain}` };

  let sandbox;
  try {
    sandbox = createSandbox(overrides);
  } catch (err) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  if (options.logLevel) sandbox.logs.addSink((level, message) => process.stderr.write(`[xmpp-sandbox] ${level} ${message}\n`));
  let endpoints: Endpoints;
  try {
    endpoints = await sandbox.start();
  } catch (err) {
    if (ownDir) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
  let stopping: Promise<void> | null = null;
  return {
    endpoints,
    control: sandbox.control,
    stop() {
      stopping ??= (async () => {
        await sandbox.stop();
        if (ownDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
}
