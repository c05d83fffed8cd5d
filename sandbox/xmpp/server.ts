// The embedded XMPP server: the stream layer (sandbox/xmpp/stream, theirs) composed with the
// session manager (sandbox/xmpp/core: Tigase-style pipeline, router, offline storage) and
// the built-in plugins (sandbox/xmpp/plugins), plus user plugins from config.xmpp.pluginDir.

import { EventEmitter } from 'node:events';
import type { SandboxConfig } from '../config';
import { ControlError, type ComponentInfo, type OfflineUserInfo, type PluginInfo, type PluginLoadError, type SessionInfo } from '../control/api';
import type { Logger } from '../log';
import type { TraceBus } from '../trace/bus';
import { ConfigAccountStore, RunCredentials } from './auth/accounts';
import { createSessionManagerCore } from './core/index';
import { loadPluginDir } from './core/loader';
import type { Plugin } from './core/plugin';
import { parseJid, type Jid } from './jid';
import { validateStanza, type StanzaProblemCondition } from './stanza-validator';
import type { StreamErrorCondition } from './session';
import { createStreamListeners } from './stream/listeners';

export type { Plugin } from './core/plugin';

export interface XmppServer {
  /** Loads the stores and plugins, then listens (stream/listeners.ts); a port in use rejects with that listener's PortInUseError. */
  start(): Promise<{ c2sPort: number; wsPort: number | null; componentPort: number | null }>;
  stop(): Promise<void>;
  listSessions(): SessionInfo[];
  listComponents(): ComponentInfo[];
  listPlugins(): PluginInfo[];
  /** Load or reload user plugins from config.xmpp.pluginDir without a restart (old hooks removed first). */
  reloadPlugins(): Promise<{ loaded: string[]; errors: PluginLoadError[] }>;
  /** The errors of the last plugin load (start or reload), for the editor's Problems panel. */
  pluginErrors(): PluginLoadError[];
  /** Register a plugin programmatically (tests, extension); returns its unregister function (Prosody-style: hooks removed on unload). */
  addPlugin(plugin: Plugin): () => void;
  listOffline(bareJid?: string, withItems?: boolean): OfflineUserInfo[];
  purgeOffline(bareJid: string): number;
  /** See ControlMethods['stanza.inject'] in sandbox/control/api.ts; `xml` must pass validateStanza (./stanza-validator). Throws ControlError('jid-malformed' | 'xml-invalid' | 'bad-params'). Returns the packetId. */
  inject(as: string, xml: string): string;
  kick(fullJid: string, condition?: string): boolean;
  stats(): { stanzasIn: number; stanzasOut: number };
  /** Wipe offline storage (disk and memory). */
  resetData(): Promise<void>;
  /** Accounts and component secrets declared at runtime (a scenario run's characters), over the config's. */
  readonly credentials: RunCredentials;
  readonly events: EventEmitter; // emits 'sessions-changed', 'components-changed', 'offline-changed', 'plugins-changed' (no args)
}

const STREAM_ERRORS = new Set<string>([
  'bad-format', 'conflict', 'connection-timeout', 'host-unknown', 'improper-addressing', 'internal-server-error', 'invalid-from',
  'invalid-namespace', 'invalid-xml', 'not-authorized', 'not-well-formed', 'policy-violation', 'reset', 'resource-constraint',
  'restricted-xml', 'system-shutdown', 'undefined-condition', 'unsupported-stanza-type', 'unsupported-version',
]);

/** stanza.inject's ControlError code for each reason the stanza validator refuses a text. */
const INJECT_ERROR_CODES = {
  'xml-invalid': 'xml-invalid',
  'policy-violation': 'xml-invalid',
  'bad-request': 'bad-params',
  'jid-malformed': 'jid-malformed',
} as const satisfies Record<StanzaProblemCondition, ControlError['code']>;

export function createXmppServer(opts: { config: SandboxConfig; trace: TraceBus; log: Logger }): XmppServer {
  const { config, trace } = opts;
  const log = opts.log;
  const domain = config.xmpp.domain;
  const events = new EventEmitter();
  // Coalesce change notifications: a burst of binds/stores produces one event per tick.
  const pendingEvents = new Set<string>();
  const changed = (name: string) => {
    if (pendingEvents.size === 0) queueMicrotask(() => {
      const names = [...pendingEvents];
      pendingEvents.clear();
      for (const n of names) events.emit(n);
    });
    pendingEvents.add(name);
  };

  const { router, registry, offline, pipeline, sm } = createSessionManagerCore({ config, trace, log, changed });

  let listeners: ReturnType<typeof createStreamListeners> | null = null;

  let lastPluginErrors: PluginLoadError[] = [];

  async function reloadPlugins(): Promise<{ loaded: string[]; errors: PluginLoadError[] }> {
    registry.removeWhere((r) => r.origin !== 'builtin' && r.origin !== 'api');
    const res = await loadPluginDir(config.xmpp.pluginDir);
    const loaded: string[] = [];
    const errors = [...res.errors];
    for (const f of res.loaded) {
      for (const p of f.plugins) {
        try {
          registry.add(p, f.file);
          loaded.push(p.id);
        } catch (err) {
          errors.push({ file: f.file, error: (err as Error).message });
        }
      }
    }
    for (const e of errors) log.warn(`plugin ${e.file}${e.line ? `:${e.line}` : ''}: ${e.error}`);
    if (loaded.length) log.info(`user plugins loaded: ${loaded.join(', ')}`);
    lastPluginErrors = errors;
    // The registry only fires plugins-changed when a plugin comes or goes; a new error is news too.
    changed('plugins-changed');
    return { loaded, errors };
  }

  function sessionsOf(): SessionInfo[] {
    const byBare = new Map<string, SessionInfo>();
    for (const st of router.allResources()) {
      const s = st.session;
      let info = byBare.get(st.jid.bare);
      if (!info) byBare.set(st.jid.bare, (info = { bareJid: st.jid.bare, resources: [] }));
      const show = st.presence?.getChildText('show') ?? undefined;
      const status = st.presence?.getChildText('status') ?? undefined;
      info.resources.push({
        sessionId: s.id,
        fullJid: st.jid.full,
        resource: st.jid.resource,
        transport: s.transport === 'websocket' ? 'websocket' : 'tcp',
        available: st.available,
        priority: st.priority,
        ...(show ? { show } : {}),
        ...(status ? { status } : {}),
        sm: s.sm,
        connectedAt: s.connectedAt,
      });
    }
    return [...byBare.values()].sort((a, b) => a.bareJid.localeCompare(b.bareJid));
  }

  const credentials = new RunCredentials();
  const server: XmppServer = {
    events,
    credentials,
    async start() {
      offline.load();
      if (config.xmpp.pluginDir) await reloadPlugins();
      listeners = createStreamListeners({ config, sm, accounts: new ConfigAccountStore(config, credentials), log });
      return listeners.start();
    },
    async stop() {
      const l = listeners;
      listeners = null;
      if (l) await l.stop();
      offline.sync();
    },
    listSessions: sessionsOf,
    listComponents() {
      return [...router.componentEntries()].map(([d, s]) => ({ domain: d, sessionId: s.id, connectedAt: s.connectedAt }));
    },
    listPlugins() {
      return registry.info(config.xmpp.processorQueueSize);
    },
    reloadPlugins,
    pluginErrors: () => [...lastPluginErrors],
    addPlugin(plugin) {
      return registry.add(plugin, 'api');
    },
    listOffline(bareJid, withItems) {
      const users = bareJid ? [bareJid] : offline.users().sort();
      return users
        .filter((u) => offline.count(u) > 0 || bareJid !== undefined)
        .map((u) => ({
          bareJid: u,
          count: offline.count(u),
          ...(withItems ? { items: offline.list(u).map((i) => ({ node: i.node, from: i.from, stamp: i.stamp, xml: i.xml })) } : {}),
        }));
    },
    purgeOffline(bareJid) {
      return offline.remove(bareJid);
    },
    inject(as, xmlText) {
      if (typeof as !== 'string' || typeof xmlText !== 'string') throw new ControlError('bad-params', 'inject needs `as` and `xml` strings');
      let asJid: Jid;
      try {
        asJid = parseJid(as);
      } catch (err) {
        throw new ControlError('jid-malformed', `'as' is not a valid JID: ${(err as Error).message}`);
      }
      const checked = validateStanza(xmlText, { maxBytes: config.xmpp.maxStanzaBytes });
      if (!checked.ok) throw new ControlError(INJECT_ERROR_CODES[checked.condition], checked.message);
      const el = checked.element;
      sm.stanzasIn++;
      const own = asJid.resource ? router.resource(asJid.full) : undefined;
      const id = own
        ? sm.enter(el, 'out', own.session, { kind: 'inject', sessionId: own.session.id, jid: asJid.full, transport: own.session.transport }, asJid)
        : sm.enter(el, 'in', null, { kind: 'inject', jid: asJid.full }, asJid);
      if (!id) throw new ControlError('jid-malformed', 'the stanza has a malformed address');
      return id;
    },
    kick(fullJid, condition) {
      const st = router.resource(fullJid);
      if (!st) return false;
      st.session.close(condition && STREAM_ERRORS.has(condition) ? (condition as StreamErrorCondition) : undefined);
      return true;
    },
    stats() {
      return { stanzasIn: sm.stanzasIn, stanzasOut: pipeline.stanzasOut };
    },
    async resetData() {
      offline.reset();
    },
  };
  return server;
}
