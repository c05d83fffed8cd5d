// `npm start` / `xmpp-sandbox`: start the sandbox, print its endpoints, stop cleanly on
// Ctrl-C. With --ipc it is the extension's child process instead (control/ipc.ts).

import { readFileSync } from 'node:fs';
import { ConfigError, type DeepPartial, type SandboxConfig } from './config';
import { IPC_CONFIG_ENV, type Endpoints } from './control/api';
import { runIpcChild } from './control/ipc';
import { createSandbox } from './index';
import type { LogLevel } from './log';

const HELP = `xmpp-sandbox — a local XMPP server, Redis-compatible queue and bridge for app-to-app development

Usage: xmpp-sandbox [options]        (npm start -- [options])

  --config FILE          JSON file with any SandboxConfig fields (see README)
  --host ADDR            address to listen on (default 127.0.0.1)
  --data-dir DIR         offline store and queue log (default ~/.xmpp-sandbox, env XMPP_SANDBOX_DATA)
  --domain NAME          XMPP domain (default localhost)
  --password PW          password any local username may use (default sandbox)
  --account USER:PW      declare an account with its own password (repeatable)
  --component DOMAIN:SECRET  accept an XEP-0114 component (repeatable)
  --c2s-port N           c2s TCP port (default 5222; 0 = any free port)
  --ws-port N            WebSocket port (default 5280; -1 = off)
  --component-port N     XEP-0114 port (default 5347; -1 = off)
  --queue-port N         Redis-compatible queue port (default 6380)
  --no-queue             do not start the queue (nor the bridge)
  --no-bridge            do not start the bridge component
  --appendfsync MODE     queue persistence: always | everysec | no (default everysec)
  --requirepass PW       queue clients must AUTH with PW
  --tie-break MODE       equal top priorities: all (RFC default) | round-robin
  --plugin-dir DIR       load user plugins from DIR (reload with SIGHUP)
  --anonymous            allow SASL ANONYMOUS
  --no-trace             disable the trace bus
  --trace-size N         trace ring buffer size in events (default 50000)
  --log-level LEVEL      error | warn | info | debug (default info)
  --json                 print the endpoints as one JSON line (for scripts)
  -h, --help             this help
`;

class UsageError extends Error {}

function parseArgs(argv: string[]): { overrides: DeepPartial<SandboxConfig>; json: boolean } {
  const o: DeepPartial<SandboxConfig> & { xmpp: NonNullable<DeepPartial<SandboxConfig>['xmpp']>; queue: NonNullable<DeepPartial<SandboxConfig>['queue']>; bridge: NonNullable<DeepPartial<SandboxConfig>['bridge']>; trace: NonNullable<DeepPartial<SandboxConfig>['trace']> } = { xmpp: {}, queue: {}, bridge: {}, trace: {} };
  let fileConfig: DeepPartial<SandboxConfig> = {};
  let json = false;
  const accounts: Record<string, string> = {};
  const components: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const num = (): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n)) throw new UsageError(`${a} needs an integer, got '${v}'`);
      return n;
    };
    const pair = (): [string, string] => {
      const v = value();
      const at = v.indexOf(':');
      if (at <= 0) throw new UsageError(`${a} needs NAME:SECRET, got '${v}'`);
      return [v.slice(0, at), v.slice(at + 1)];
    };
    switch (a) {
      case '-h':
      case '--help':
        process.stdout.write(HELP);
        process.exit(0);
      case '--config': {
        const file = value();
        try {
          fileConfig = JSON.parse(readFileSync(file, 'utf8'));
        } catch (err) {
          throw new UsageError(`cannot read config file ${file}: ${(err as Error).message}`);
        }
        break;
      }
      case '--host': o.host = value(); break;
      case '--data-dir': o.dataDir = value(); break;
      case '--domain': o.xmpp.domain = value(); break;
      case '--password': o.xmpp.password = value(); break;
      case '--account': { const [u, p] = pair(); accounts[u.toLowerCase()] = p; break; }
      case '--component': { const [d, s] = pair(); components[d.toLowerCase()] = s; break; }
      case '--c2s-port': o.xmpp.c2sPort = num(); break;
      case '--ws-port': o.xmpp.wsPort = num(); break;
      case '--component-port': o.xmpp.componentPort = num(); break;
      case '--queue-port': o.queue.port = num(); break;
      case '--no-queue': o.queue.enabled = false; o.bridge.enabled = false; break;
      case '--no-bridge': o.bridge.enabled = false; break;
      case '--appendfsync': o.queue.appendfsync = value() as SandboxConfig['queue']['appendfsync']; break;
      case '--requirepass': o.queue.requirepass = value(); break;
      case '--tie-break': o.xmpp.tieBreak = value() as SandboxConfig['xmpp']['tieBreak']; break;
      case '--plugin-dir': o.xmpp.pluginDir = value(); break;
      case '--anonymous': o.xmpp.allowAnonymous = true; break;
      case '--no-trace': o.trace.enabled = false; break;
      case '--trace-size': o.trace.bufferSize = num(); break;
      case '--log-level': o.logLevel = value() as LogLevel; break;
      case '--json': json = true; break;
      default:
        throw new UsageError(`unknown option '${a}' (see --help)`);
    }
  }
  if (Object.keys(accounts).length) o.xmpp.accounts = { ...(fileConfig.xmpp?.accounts ?? {}), ...accounts };
  if (Object.keys(components).length) o.xmpp.components = { ...(fileConfig.xmpp?.components ?? {}), ...components };
  // Flags win over the file, which wins over the defaults.
  const merged: DeepPartial<SandboxConfig> = {
    ...fileConfig,
    ...o,
    xmpp: { ...fileConfig.xmpp, ...o.xmpp },
    queue: { ...fileConfig.queue, ...o.queue },
    bridge: { ...fileConfig.bridge, ...o.bridge },
    trace: { ...fileConfig.trace, ...o.trace },
  };
  return { overrides: merged, json };
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

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--ipc')) {
    await runIpcChild((o) => createSandbox(o));
    return;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
    if (process.env[IPC_CONFIG_ENV]) parsed.overrides = { ...JSON.parse(process.env[IPC_CONFIG_ENV]!), ...parsed.overrides };
  } catch (err) {
    process.stderr.write(`xmpp-sandbox: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let sandbox: ReturnType<typeof createSandbox>;
  try {
    sandbox = createSandbox(parsed.overrides);
  } catch (err) {
    process.stderr.write(`xmpp-sandbox: ${err instanceof ConfigError ? 'bad configuration: ' : ''}${(err as Error).message}\n`);
    process.exit(2);
  }
  sandbox.logs.addSink((level, message, ts) => process.stderr.write(`${new Date(ts).toISOString()} ${level.padEnd(5)} ${message}\n`));
  let endpoints: Endpoints;
  try {
    endpoints = await sandbox.start();
  } catch (err) {
    const e = err as { message: string; code?: string; setting?: string };
    process.stderr.write(`xmpp-sandbox: cannot start: ${e.message}\n`);
    if (e.code === 'EADDRINUSE' && e.setting) {
      const flag = { 'xmpp.c2sPort': '--c2s-port', 'xmpp.wsPort': '--ws-port', 'xmpp.componentPort': '--component-port', 'queue.port': '--queue-port' }[e.setting];
      if (flag) process.stderr.write(`  choose another port with ${flag} N (0 picks a free one)\n`);
    }
    process.exit(1);
  }
  process.stdout.write(parsed.json ? JSON.stringify(endpoints) + '\n' : describe(endpoints, sandbox.bridge ? sandbox.config.bridge.domain : null));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      process.stderr.write('forced exit\n');
      process.exit(130);
    }
    stopping = true;
    process.stderr.write(`\n${signal}: stopping the sandbox (again to force)…\n`);
    await sandbox.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => {
    sandbox.control
      .call('plugins.reload', {})
      .then((r) => process.stderr.write(`plugins reloaded: ${r.loaded.join(', ') || 'none'}${r.errors.length ? `; errors: ${r.errors.map((e) => `${e.file}: ${e.error}`).join('; ')}` : ''}\n`))
      .catch((err) => process.stderr.write(`plugin reload failed: ${(err as Error).message}\n`));
  });
}

// A bug in one connection's handling must not take the whole sandbox down: log and go on.
process.on('uncaughtException', (err) => process.stderr.write(`uncaught exception (sandbox keeps running): ${err.stack ?? err}\n`));
process.on('unhandledRejection', (err) => process.stderr.write(`unhandled rejection (sandbox keeps running): ${(err as Error)?.stack ?? err}\n`));

void main();
