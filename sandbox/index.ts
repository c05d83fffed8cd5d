// The sandbox: one process holding the XMPP server, the Redis-compatible queue, the bridge
// component and the trace bus, behind one control API. Used by the CLI (npm start), by the
// extension's child process (control/ipc-child.ts) and by tests, in-process.

import { mkdir } from 'node:fs/promises';
import type { ConfigOverrides, Endpoints, SandboxStatus, ControlApi } from './control/api';
import { LocalControl } from './control/local';
import { resolveConfig, type SandboxConfig } from './config';
import { LogHub, type Logger } from './log';
import { TraceBus } from './trace/bus';
import { createXmppServer, type XmppServer } from './xmpp/server';
import { createQueueServer, type QueueServer } from './queue/server';
import { createBridge, type Bridge } from './bridge/bridge';

export type { Endpoints, SandboxStatus, ControlApi } from './control/api';
export type { SandboxConfig } from './config';

export interface Sandbox {
  readonly config: SandboxConfig;
  readonly trace: TraceBus;
  readonly logs: LogHub;
  readonly control: ControlApi;
  readonly xmpp: XmppServer;
  /** null when config.queue.enabled is false */
  readonly queue: QueueServer | null;
  readonly bridge: Bridge | null;
  /** Rejects with PortInUseError (sandbox/control/api.ts) when a listener's port is taken. */
  start(): Promise<Endpoints>;
  stop(): Promise<void>;
  status(): SandboxStatus;
}

export function createSandbox(overrides: ConfigOverrides = {}, opts: { logs?: LogHub } = {}): Sandbox {
  const base = resolveConfig(overrides);
  // The bridge authenticates to the embedded server as a component: make sure the server
  // knows its domain and secret, whatever else the user declared.
  const config: SandboxConfig =
    base.bridge.enabled && !base.bridge.xmppService
      ? { ...base, xmpp: { ...base.xmpp, components: { ...base.xmpp.components, [base.bridge.domain]: base.bridge.secret } } }
      : base;

  const logs = opts.logs ?? new LogHub(config.logLevel);
  const log: Logger = logs.logger();
  const trace = new TraceBus({ capacity: config.trace.bufferSize, enabled: config.trace.enabled });
  const xmpp = createXmppServer({ config, trace, log: log.child('xmpp') });
  const queue = config.queue.enabled ? createQueueServer({ config, trace, log: log.child('queue') }) : null;

  let bridge: Bridge | null = null;
  let endpoints: Endpoints | null = null;
  let state: SandboxStatus['state'] = 'stopped';
  let startedAt: number | null = null;

  const control = new LocalControl({ xmpp, queue, trace, logs, status, stop, endpoints: () => endpoints });

  function status(): SandboxStatus {
    const s = xmpp.stats();
    return {
      state,
      endpoints,
      pid: process.pid,
      startedAt,
      stanzasIn: s.stanzasIn,
      stanzasOut: s.stanzasOut,
      traceEnabled: trace.enabled,
      lastTraceSeq: trace.lastSeq,
    };
  }

  async function start(): Promise<Endpoints> {
    if (state === 'running' && endpoints) return endpoints;
    if (state !== 'stopped') throw new Error(`cannot start while ${state}`);
    state = 'starting';
    control.emitState();
    try {
      await mkdir(config.dataDir, { recursive: true });
      // A port in use rejects with the PortInUseError of the listener that failed.
      const queuePort = queue ? (await queue.start()).port : null;
      const ports = await xmpp.start();
      const host = config.host.includes(':') ? `[${config.host}]` : config.host;
      endpoints = {
        domain: config.xmpp.domain,
        c2s: `xmpp://${host}:${ports.c2sPort}`,
        websocket: ports.wsPort == null ? null : `ws://${host}:${ports.wsPort}${config.xmpp.wsPath}`,
        component: ports.componentPort == null ? null : `xmpp://${host}:${ports.componentPort}`,
        queue: queuePort == null ? null : `redis://${host}:${queuePort}`,
        password: config.xmpp.password,
        components: { ...config.xmpp.components },
        dataDir: config.dataDir,
      };
      if (config.bridge.enabled) {
        const redisUrl = config.bridge.redisUrl || endpoints.queue;
        const xmppService = config.bridge.xmppService || endpoints.component;
        if (!redisUrl || !xmppService) {
          log.warn(`bridge not started: it needs a queue (${redisUrl ?? 'disabled'}) and a component listener (${xmppService ?? 'disabled'})`);
        } else {
          bridge = createBridge({ bridge: config.bridge, redisUrl, xmppService, log: log.child('bridge'), trace });
          // The bridge reconnects on its own; a failed first connection is logged, not fatal.
          await bridge.start().catch((err) => log.error('bridge failed to start', err));
        }
      }
      state = 'running';
      startedAt = Date.now();
      control.emitState();
      log.info(`sandbox running: ${endpoints.c2s}${endpoints.websocket ? ' ' + endpoints.websocket : ''}${endpoints.queue ? ' ' + endpoints.queue : ''}`);
      return endpoints;
    } catch (err) {
      state = 'stopping';
      await shutdown().catch(() => undefined);
      state = 'stopped';
      control.emitState();
      throw err;
    }
  }

  async function shutdown(): Promise<void> {
    const b = bridge;
    bridge = null;
    if (b) await b.stop().catch((err) => log.error('bridge stop failed', err));
    await xmpp.stop().catch((err) => log.error('xmpp stop failed', err));
    if (queue) await queue.stop().catch((err) => log.error('queue stop failed', err));
    trace.flush();
  }

  async function stop(): Promise<void> {
    if (state === 'stopped' || state === 'stopping') return;
    state = 'stopping';
    control.emitState();
    await shutdown();
    endpoints = null;
    startedAt = null;
    state = 'stopped';
    control.emitState();
    log.info('sandbox stopped');
  }

  return {
    config,
    trace,
    logs,
    control,
    xmpp,
    queue,
    get bridge() {
      return bridge;
    },
    status,
    start,
    stop,
  };
}
