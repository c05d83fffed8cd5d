import * as os from 'node:os';
import * as path from 'node:path';

// One typed configuration with documented defaults, validated once (validateConfig).
// The CLI (flags, env, a JSON config file), the extension (settings) and tests all build
// a SandboxConfig through resolveConfig(partial).

export type TieBreak = 'all' | 'round-robin';
export type PresenceBroadcast = 'none' | 'own' | 'all';
export type AppendFsync = 'always' | 'everysec' | 'no';

export interface XmppConfig {
  /** The server's domain; users are user@domain. */
  domain: string;
  /** c2s over TCP (RFC 6120). 0 = pick a free port. */
  c2sPort: number;
  /** c2s over WebSocket (RFC 7395). 0 = pick a free port; -1 = disabled. */
  wsPort: number;
  wsPath: string;
  /** XEP-0114 component listener. 0 = pick a free port; -1 = disabled. */
  componentPort: number;
  /**
   * The sandbox password: any local username may log in with it (no sign-up step).
   * Accounts in `accounts` use their own password instead.
   */
  password: string;
  /** Declared accounts: username → password. */
  accounts: Record<string, string>;
  /** SASL ANONYMOUS (off by default: with PLAIN it can log credentialed clients in anonymously). */
  allowAnonymous: boolean;
  /** Components allowed to connect: domain → shared secret. */
  components: Record<string, string>;
  /** Bare-JID messages when several resources share the highest priority: all (RFC 6121 default) or one, round-robin (load balancing). */
  tieBreak: TieBreak;
  /** Where broadcast presence goes: nobody, the user's own resources, or every local user (a shared roster). */
  presenceBroadcast: PresenceBroadcast;
  /** Largest stanza accepted, bytes; larger → <policy-violation/>. */
  maxStanzaBytes: number;
  /** XEP-0198 resumption window, seconds. */
  smResumeTimeoutSec: number;
  /** Max offline messages kept per user; beyond it → service-unavailable. */
  offlineQuota: number;
  /** Capacity of each processor plugin's queue; full → resource-constraint. */
  processorQueueSize: number;
  /**
   * The send limit: bytes a c2s or component stream may hold unsent (not yet taken by the OS)
   * for a peer that does not read. Past it the unsent backlog is dropped and the stream ends with
   * <resource-constraint/> (RFC 6120 §4.9.3.17), so one stuck reader cannot run the sandbox out of
   * memory (sandbox/xmpp/stream/wire.ts). Offline messages in that backlog stay stored.
   */
  maxOutboundBytes: number;
  /**
   * Flow control of bulk delivery from the offline store (XEP-0160 flood on presence, XEP-0013
   * fetch, re-routed XEP-0198 stanzas; docs/interop.md §3.6): it pauses while the session's
   * unsent bytes, or its own written-but-not-yet-delivered messages, reach this many bytes, and
   * resumes below half of it. Must be below maxOutboundBytes.
   */
  outboundHighWaterBytes: number;
  /** Folder of user plugins (.js/.mjs/.ts modules exporting a Plugin); '' = none. */
  pluginDir: string;
  /**
   * Web origins (RFC 6454 `scheme://host[:port]`) whose pages may open a c2s WebSocket, besides
   * the ones always accepted: clients that send no Origin (not browsers), http(s) pages on
   * localhost / 127.0.0.1 / [::1] (any port) and VS Code webviews (vscode-webview://). Others get
   * HTTP 403 before the upgrade (RFC 6455 §10.2, §4.2.2). `*` accepts every page, and `null`
   * (file:// pages, sandboxed iframes) is as open as `*`: any site could then log in as any user.
   */
  allowedOrigins: string[];
  /**
   * Seconds a c2s connection (TCP or WebSocket) gets from connect to a bound resource (or an
   * XEP-0198 resume): stream header, SASL and bind. Past it the stream ends with
   * <connection-timeout/> (RFC 6120 §4.9.3.4), so an idle or slowloris connection (a header sent
   * byte by byte) holds no socket longer. Also the WebSocket listener's limit for the HTTP upgrade
   * request's headers. Fractions allowed.
   */
  preAuthTimeoutSec: number;
}

/**
 * One class of Redis's `client-output-buffer-limit <class> <hard> <soft> <soft-seconds>`
 * (redis.io "Redis client handling", "Output buffer limits"): a client whose unsent replies
 * reach `hard` bytes is closed at once; one that stays over `soft` bytes for more than
 * `softSeconds` is closed too. 0 disables that limit.
 */
export interface OutputBufferLimit {
  hard: number;
  soft: number;
  softSeconds: number;
}

export interface QueueConfig {
  enabled: boolean;
  /** RESP port; 6380 so it does not clash with a developer's own Redis on 6379. 0 = free port. */
  port: number;
  /** When set, clients must AUTH. */
  requirepass: string;
  appendfsync: AppendFsync;
  /**
   * Redis's client-output-buffer-limit for plain clients and for pub/sub subscribers, with
   * Redis's defaults: normal none, pubsub 32 MB hard, 8 MB soft over 60 s. Bytes counted are
   * the replies not yet handed to the kernel (sandbox/queue/README.md).
   */
  clientOutputBufferLimit: { normal: OutputBufferLimit; pubsub: OutputBufferLimit };
}

export interface BridgeConfig {
  enabled: boolean;
  /** The component's domain (must be in xmpp.components when the embedded server is the target). */
  domain: string;
  secret: string;
  /** List the bridge takes outbound stanzas from (BLMOVE … RIGHT LEFT: push with LPUSH). */
  inList: string;
  /** Where malformed items go, with the reason. */
  deadLetterList: string;
  /** Stanzas addressed to the bridge's JIDs are pushed here… */
  replyList: string;
  /** …and published on this channel. */
  replyChannel: string;
  /** Queue to use; '' = the embedded queue. e.g. redis://127.0.0.1:6379 */
  redisUrl: string;
  /** XEP-0114 server to connect to; '' = the embedded server. e.g. xmpp://127.0.0.1:5347 */
  xmppService: string;
}

export interface TraceConfig {
  enabled: boolean;
  /** Ring buffer capacity (events). */
  bufferSize: number;
}

export interface SandboxConfig {
  /** Address every listener binds; loopback unless configured. */
  host: string;
  /** Offline store, queue AOF, logs. */
  dataDir: string;
  xmpp: XmppConfig;
  queue: QueueConfig;
  bridge: BridgeConfig;
  trace: TraceConfig;
  logLevel: 'error' | 'warn' | 'info' | 'debug';
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

export const DEFAULT_PASSWORD = 'sandbox';
export const DEFAULT_COMPONENT_SECRET = 'secret';

export function defaultDataDir(): string {
  return process.env.XMPP_SANDBOX_DATA || path.join(os.homedir(), '.xmpp-sandbox');
}

export function defaultConfig(): SandboxConfig {
  return {
    host: '127.0.0.1',
    dataDir: defaultDataDir(),
    xmpp: {
      domain: 'localhost',
      c2sPort: 5222,
      wsPort: 5280,
      wsPath: '/xmpp-websocket',
      componentPort: 5347,
      password: DEFAULT_PASSWORD,
      accounts: {},
      allowAnonymous: false,
      components: { 'bridge.localhost': DEFAULT_COMPONENT_SECRET, 'component.localhost': DEFAULT_COMPONENT_SECRET },
      tieBreak: 'all',
      presenceBroadcast: 'own',
      maxStanzaBytes: 256 * 1024,
      smResumeTimeoutSec: 120,
      offlineQuota: 10_000,
      processorQueueSize: 10_000,
      maxOutboundBytes: 16 * 1024 * 1024,
      outboundHighWaterBytes: 1024 * 1024,
      pluginDir: '',
      allowedOrigins: [],
      preAuthTimeoutSec: 60,
    },
    queue: {
      enabled: true,
      port: 6380,
      requirepass: '',
      appendfsync: 'everysec',
      clientOutputBufferLimit: { normal: { hard: 0, soft: 0, softSeconds: 0 }, pubsub: { hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 } },
    },
    bridge: {
      enabled: true,
      domain: 'bridge.localhost',
      secret: DEFAULT_COMPONENT_SECRET,
      inList: 'xmpp:outbox',
      deadLetterList: 'xmpp:outbox:dead',
      replyList: 'xmpp:inbox',
      replyChannel: 'xmpp:inbox',
      redisUrl: '',
      xmppService: '',
    },
    trace: { enabled: true, bufferSize: 50_000 },
    logLevel: 'info',
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge<T>(base: T, over: unknown): T {
  if (!isObject(over)) return base;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    const b = out[k];
    // Records of user data (accounts, components) are replaced, not merged key by key.
    out[k] = isObject(b) && isObject(v) && k !== 'accounts' && k !== 'components' ? merge(b, v) : v;
  }
  return out as T;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function checkPort(name: string, v: number, allowDisabled: boolean): void {
  if (!Number.isInteger(v) || v > 65535 || v < (allowDisabled ? -1 : 0)) {
    throw new ConfigError(`${name} must be a port number 0-65535${allowDisabled ? ' (or -1 to disable)' : ''}, got ${v}`);
  }
}

export function validateConfig(c: SandboxConfig): SandboxConfig {
  if (!c.host) throw new ConfigError('host must not be empty');
  if (!c.dataDir) throw new ConfigError('dataDir must not be empty');
  checkPort('xmpp.c2sPort', c.xmpp.c2sPort, false);
  checkPort('xmpp.wsPort', c.xmpp.wsPort, true);
  checkPort('xmpp.componentPort', c.xmpp.componentPort, true);
  checkPort('queue.port', c.queue.port, false);
  if (!/^[a-z0-9.-]+$/i.test(c.xmpp.domain)) throw new ConfigError(`xmpp.domain '${c.xmpp.domain}' is not a valid domain`);
  if (!c.xmpp.wsPath.startsWith('/')) throw new ConfigError(`xmpp.wsPath must start with '/', got '${c.xmpp.wsPath}'`);
  if (!['all', 'round-robin'].includes(c.xmpp.tieBreak)) throw new ConfigError(`xmpp.tieBreak must be 'all' or 'round-robin'`);
  if (!['none', 'own', 'all'].includes(c.xmpp.presenceBroadcast)) throw new ConfigError(`xmpp.presenceBroadcast must be 'none', 'own' or 'all'`);
  if (!['always', 'everysec', 'no'].includes(c.queue.appendfsync)) throw new ConfigError(`queue.appendfsync must be always|everysec|no`);
  for (const [n, v] of Object.entries({ maxStanzaBytes: c.xmpp.maxStanzaBytes, offlineQuota: c.xmpp.offlineQuota, processorQueueSize: c.xmpp.processorQueueSize, 'trace.bufferSize': c.trace.bufferSize })) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${n} must be a positive integer, got ${v}`);
  }
  if (!(c.xmpp.smResumeTimeoutSec >= 0)) throw new ConfigError('xmpp.smResumeTimeoutSec must be >= 0');
  for (const [n, v] of Object.entries({ 'xmpp.maxOutboundBytes': c.xmpp.maxOutboundBytes, 'xmpp.outboundHighWaterBytes': c.xmpp.outboundHighWaterBytes })) {
    if (!Number.isSafeInteger(v) || v < 1024) throw new ConfigError(`${n} must be an integer >= 1024 (bytes), got ${v}`);
  }
  if (c.xmpp.outboundHighWaterBytes >= c.xmpp.maxOutboundBytes) throw new ConfigError(`xmpp.outboundHighWaterBytes (${c.xmpp.outboundHighWaterBytes}) must be below xmpp.maxOutboundBytes (${c.xmpp.maxOutboundBytes})`);
  for (const cls of ['normal', 'pubsub'] as const) {
    const l = c.queue.clientOutputBufferLimit?.[cls];
    for (const f of ['hard', 'soft', 'softSeconds'] as const) {
      const v = l?.[f];
      if (!Number.isSafeInteger(v) || v! < 0) throw new ConfigError(`queue.clientOutputBufferLimit.${cls}.${f} must be an integer >= 0 (0 = no limit), got ${v}`);
    }
  }
  if (typeof c.xmpp.preAuthTimeoutSec !== 'number' || !(c.xmpp.preAuthTimeoutSec > 0 && c.xmpp.preAuthTimeoutSec <= 86_400)) throw new ConfigError(`xmpp.preAuthTimeoutSec must be > 0 and at most 86400 (a day), got ${c.xmpp.preAuthTimeoutSec}`);
  checkAllowedOrigins(c.xmpp.allowedOrigins);
  for (const s of [c.xmpp.password, ...Object.values(c.xmpp.accounts), ...Object.values(c.xmpp.components)]) {
    // The clients' SASL and handshake code do not SASLprep and hash as latin1 (docs/interop.md §1.4, §2).
    if (!/^[\x20-\x7e]*$/.test(s)) throw new ConfigError('passwords and component secrets must be printable ASCII');
  }
  return c;
}

/**
 * An origin as a browser sends it (RFC 6454 §6.1: scheme "://" host [ ":" port ]), lower case
 * and, for http(s), without its default port; null when `s` is not one (a path, a query,
 * user info, or no scheme).
 */
export function normalizeOrigin(s: string): string | null {
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/?#@\s]+)\/?$/i.exec(s.trim());
  if (!m) return null;
  const scheme = m[1].toLowerCase();
  if (scheme !== 'http' && scheme !== 'https') return `${scheme}://${m[2].toLowerCase()}`;
  try {
    return new URL(`${scheme}://${m[2]}`).origin;
  } catch {
    return null;
  }
}

function checkAllowedOrigins(list: unknown): void {
  if (!Array.isArray(list)) throw new ConfigError('xmpp.allowedOrigins must be a list of origins');
  for (const o of list) {
    if (typeof o === 'string' && (o === '*' || o === 'null' || normalizeOrigin(o) !== null)) continue;
    throw new ConfigError(`xmpp.allowedOrigins: ${JSON.stringify(o)} is not an origin: give scheme://host[:port] (e.g. http://app.example:3000), or '*' for every page`);
  }
}

/** Defaults ← partial, validated. */
export function resolveConfig(partial: DeepPartial<SandboxConfig> = {}): SandboxConfig {
  return validateConfig(merge(defaultConfig(), partial));
}
