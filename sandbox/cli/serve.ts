// `xmpp-sandbox serve` (the default command; `npm start`): start the sandbox, print its
// endpoints, stop cleanly on Ctrl-C, reload plugins on SIGHUP. With the hidden --ipc flag it
// is the extension's child process instead, driven over the IPC channel (control/ipc-child.ts).
//
// Configuration comes in layers, each over the one before: the defaults (config.ts), the
// XMPP_SANDBOX_CONFIG environment variable (JSON), the --config file, then the flags.

import { readFileSync } from 'node:fs';
import { ConfigError, DEFAULT_PASSWORD, defaultConfig, type SandboxConfig } from '../config';
import { IPC_CONFIG_ENV, type ConfigOverrides, type Endpoints } from '../control/api';
import { readIpcConfig, runIpcChild } from '../control/ipc-child';
import { createSandbox, type Sandbox } from '../index';
import { UsageError, defineCommand, type CliIo, type OptionValues } from './args';

const defaults = defaultConfig();

const OPTIONS = {
  config: { type: 'string', value: 'FILE', help: 'JSON file with any SandboxConfig fields (see README); flags win over it' },
  host: { type: 'string', value: 'ADDR', help: 'address every listener binds', defaultText: defaults.host },
  'data-dir': { type: 'string', value: 'DIR', help: 'offline store and queue log', defaultText: '~/.xmpp-sandbox, or env XMPP_SANDBOX_DATA' },
  domain: { type: 'string', value: 'NAME', help: 'XMPP domain: users are user@NAME', defaultText: defaults.xmpp.domain },
  password: { type: 'string', value: 'PW', help: 'password any local username may log in with', defaultText: DEFAULT_PASSWORD },
  account: { type: 'string', value: 'USER:PW', multiple: true, help: 'declare an account with its own password' },
  component: { type: 'string', value: 'DOMAIN:SECRET', multiple: true, help: 'accept an XEP-0114 component' },
  'c2s-port': { type: 'integer', min: 0, max: 65535, help: 'c2s TCP port (RFC 6120); 0 = any free port', defaultText: String(defaults.xmpp.c2sPort) },
  'ws-port': { type: 'integer', min: -1, max: 65535, help: 'WebSocket port (RFC 7395); 0 = any free port, -1 = off', defaultText: String(defaults.xmpp.wsPort) },
  'allow-origin': { type: 'string', value: 'ORIGIN', multiple: true, help: "let web pages from ORIGIN (e.g. http://app.example:3000) use the WebSocket; local pages and VS Code webviews always may; '*' = every page (RFC 6455 §10.2)" },
  'component-port': { type: 'integer', min: -1, max: 65535, help: 'XEP-0114 component port; 0 = any free port, -1 = off', defaultText: String(defaults.xmpp.componentPort) },
  'queue-port': { type: 'integer', min: 0, max: 65535, help: 'Redis-compatible queue port; 0 = any free port', defaultText: String(defaults.queue.port) },
  'no-queue': { type: 'boolean', help: 'do not start the queue (nor the bridge)' },
  'no-bridge': { type: 'boolean', help: 'do not start the bridge component' },
  appendfsync: { type: 'string', choices: ['always', 'everysec', 'no'], help: 'queue persistence', defaultText: defaults.queue.appendfsync },
  requirepass: { type: 'string', value: 'PW', help: 'queue clients must AUTH with PW' },
  'tie-break': { type: 'string', choices: ['all', 'round-robin'], help: 'bare-JID messages among equal top priorities go to', defaultText: defaults.xmpp.tieBreak },
  'plugin-dir': { type: 'string', value: 'DIR', help: 'load user plugins from DIR (reload with SIGHUP)' },
  anonymous: { type: 'boolean', help: 'allow SASL ANONYMOUS' },
  'no-trace': { type: 'boolean', help: 'disable the trace bus' },
  'trace-size': { type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER, help: 'trace ring buffer size, in events', defaultText: String(defaults.trace.bufferSize) },
  'log-level': { type: 'string', value: 'LEVEL', choices: ['error', 'warn', 'info', 'debug'], help: 'log level', defaultText: defaults.logLevel },
  json: { type: 'boolean', help: 'print the endpoints as one JSON line (for scripts)' },
  ipc: { type: 'boolean', hidden: true, help: "run as the extension's child process, driven over the IPC channel" },
} as const;

type ServeValues = OptionValues<typeof OPTIONS>;

/** 'host', 'xmpp.c2sPort', …: a field of SandboxConfig, one level deep at most. */
type ConfigPath = { [K in keyof SandboxConfig]: SandboxConfig[K] extends object ? `${K}.${keyof SandboxConfig[K] & string}` : K }[keyof SandboxConfig];

/** The flags that set one config field. The port-in-use hint maps a setting back to its flag through it. */
const SETTINGS = {
  host: 'host',
  'data-dir': 'dataDir',
  domain: 'xmpp.domain',
  password: 'xmpp.password',
  'c2s-port': 'xmpp.c2sPort',
  'ws-port': 'xmpp.wsPort',
  'component-port': 'xmpp.componentPort',
  'queue-port': 'queue.port',
  appendfsync: 'queue.appendfsync',
  requirepass: 'queue.requirepass',
  'tie-break': 'xmpp.tieBreak',
  'plugin-dir': 'xmpp.pluginDir',
  'trace-size': 'trace.bufferSize',
  'log-level': 'logLevel',
} as const satisfies Partial<Record<keyof typeof OPTIONS, ConfigPath>>;

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

function set(target: Tree, path: ConfigPath, value: unknown): void {
  const [head, key] = path.split('.') as [string, string | undefined];
  if (key === undefined) target[head] = value;
  else ((target[head] ??= {}) as Tree)[key] = value;
}

/** Later layers win, key by key, also inside records (accounts from a flag add to the file's); lists add up (allowed origins). */
function layer(...layers: readonly unknown[]): ConfigOverrides {
  const out: Tree = {};
  for (const l of layers) {
    if (!isTree(l)) continue;
    for (const [k, v] of Object.entries(l)) {
      const before = out[k];
      out[k] = isTree(v) && isTree(before) ? layer(before, v) : Array.isArray(v) && Array.isArray(before) ? [...before, ...v] : v;
    }
  }
  return out as ConfigOverrides;
}

function pairs(flag: string, shape: string, given: readonly string[]): Record<string, string> | undefined {
  if (given.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of given) {
    const at = v.indexOf(':');
    if (at <= 0) throw new UsageError(`${flag} needs ${shape}, got '${v}'`);
    out[v.slice(0, at).toLowerCase()] = v.slice(at + 1);
  }
  return out;
}

function readConfigFile(file: string | undefined): unknown {
  if (file === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the --config file ${file}: ${(err as Error).message}`);
  }
  if (!isTree(parsed)) throw new UsageError(`the --config file ${file} must hold a JSON object`);
  return parsed;
}

/** The file's and the flags' layers (the environment's is read separately: runIpcChild reads it itself). */
function fileAndFlags(values: ServeValues): [unknown, ConfigOverrides] {
  const flags: Tree = {};
  for (const [name, path] of Object.entries(SETTINGS)) {
    const v = values[name as keyof typeof SETTINGS];
    if (v !== undefined) set(flags, path, v);
  }
  const accounts = pairs('--account', 'USER:PW', values.account);
  if (accounts) set(flags, 'xmpp.accounts', accounts);
  const components = pairs('--component', 'DOMAIN:SECRET', values.component);
  if (components) set(flags, 'xmpp.components', components);
  if (values['allow-origin'].length) set(flags, 'xmpp.allowedOrigins', values['allow-origin']);
  if (values['no-queue']) {
    set(flags, 'queue.enabled', false);
    set(flags, 'bridge.enabled', false);
  }
  if (values['no-bridge']) set(flags, 'bridge.enabled', false);
  if (values.anonymous) set(flags, 'xmpp.allowAnonymous', true);
  if (values['no-trace']) set(flags, 'trace.enabled', false);
  return [readConfigFile(values.config), flags as ConfigOverrides];
}

function describe(e: Endpoints, bridgeDomain: string | null): string {
  const user = `alice@${e.domain}`;
  const lines = [
    '',
    'XMPP sandbox is running',
    `  domain              ${e.domain}`,
    `  c2s (TCP)           ${e.c2s}`,
    `  WebSocket           ${e.websocket ?? 'off'}`,
    `  components          ${e.component ?? 'off'}${e.component ? `   (${Object.entries(e.components).map(([d, s]) => `${d} secret '${s}'`).join(', ')})` : ''}`,
    `  queue (Redis)       ${e.queue ?? 'off'}`,
    `  bridge              ${bridgeDomain ?? 'off'}`,
    `  login               any user, e.g. ${user}, password '${e.password}'`,
    `  data                ${e.dataDir}`,
    '',
    `  try:  client({ service: '${e.c2s}', domain: '${e.domain}', username: 'alice', password: '${e.password}' })`,
    '  Ctrl-C stops it.',
    '',
  ];
  return lines.join('\n');
}

// A bug in one connection's handling must not take the whole sandbox down: log and go on.
function keepRunningOnCrash(io: CliIo): void {
  process.on('uncaughtException', (err) => io.err(`uncaught exception (sandbox keeps running): ${err.stack ?? err}\n`));
  process.on('unhandledRejection', (err) => io.err(`unhandled rejection (sandbox keeps running): ${(err as Error)?.stack ?? err}\n`));
}

function handleSignals(sandbox: Sandbox, io: CliIo): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      io.err('forced exit\n');
      process.exit(130);
    }
    stopping = true;
    io.err(`\n${signal}: stopping the sandbox (again to force)…\n`);
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => {
    sandbox.control
      .call('plugins.reload', {})
      .then((r) => io.err(`plugins reloaded: ${r.loaded.join(', ') || 'none'}${r.errors.length ? `; errors: ${r.errors.map((e) => `${e.file}: ${e.error}`).join('; ')}` : ''}\n`))
      .catch((err) => io.err(`plugin reload failed: ${(err as Error).message}\n`));
  });
}

export const serve = defineCommand({
  name: 'serve',
  summary: 'start the sandbox and print its endpoints; Ctrl-C stops it',
  description: `The default command: 'xmpp-sandbox [options]' is 'xmpp-sandbox serve [options]'.\nSettings: the defaults, then env ${IPC_CONFIG_ENV} (JSON), then --config, then the flags; a repeated flag's last value wins.`,
  options: OPTIONS,
  async run(values, { io }) {
    const [file, flags] = fileAndFlags(values);
    if (values.ipc) {
      if (values.json) throw new UsageError('--json does not go with --ipc (the endpoints go to the parent process)');
      keepRunningOnCrash(io);
      await runIpcChild((fromEnv) => createSandbox(layer(fromEnv, file, flags)));
      return 'running';
    }
    let fromEnv: ConfigOverrides;
    try {
      fromEnv = readIpcConfig();
    } catch (err) {
      io.err(`xmpp-sandbox: bad configuration in env ${IPC_CONFIG_ENV}: ${(err as Error).message}\n`);
      return 2;
    }
    let sandbox: Sandbox;
    try {
      sandbox = createSandbox(layer(fromEnv, file, flags));
    } catch (err) {
      io.err(`xmpp-sandbox: ${err instanceof ConfigError ? 'bad configuration: ' : ''}${(err as Error).message}\n`);
      return 2;
    }
    keepRunningOnCrash(io);
    sandbox.logs.addSink((level, message, ts) => io.err(`${new Date(ts).toISOString()} ${level.padEnd(5)} ${message}\n`));
    let endpoints: Endpoints;
    try {
      endpoints = await sandbox.start();
    } catch (err) {
      const e = err as { message: string; code?: string; setting?: string; port?: number };
      io.err(`xmpp-sandbox: cannot start: ${e.message}\n`);
      const flag = e.code === 'EADDRINUSE' ? Object.entries(SETTINGS).find(([, path]) => path === e.setting)?.[0] : undefined;
      if (flag) io.err(`  use --${flag} N for another port than ${e.port ?? 'that one'} (0 picks a free one)\n`);
      return 1;
    }
    // Signals first: a script may stop the sandbox as soon as it has read the endpoints.
    handleSignals(sandbox, io);
    io.out(values.json ? JSON.stringify(endpoints) + '\n' : describe(endpoints, sandbox.bridge ? sandbox.config.bridge.domain : null));
    return 'running';
  },
});
