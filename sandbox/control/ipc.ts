// The control API over a Node IPC channel: the sandbox runs in a child process (the
// extension forks dist/sandbox.js --ipc with ELECTRON_RUN_AS_NODE=1) and is driven with the
// same ControlApi as in-process. Wire format: IpcRequest / IpcMessage in api.ts.

import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import {
  ControlError,
  IPC_CONFIG_ENV,
  type ConfigOverrides,
  type ControlApi,
  type ControlEventListener,
  type ControlMethod,
  type ControlParams,
  type ControlResult,
  type IpcMessage,
  type IpcRequest,
  type SandboxStatus,
  type ControlEvent,
} from './api';
import type { Sandbox } from '../index';
import type { TraceEvent } from '../trace/events';
import { TraceThrottle } from '../trace/throttle';

// ---------------------------------------------------------------- child side

/** Parses the overrides the parent put in the environment; a bad value is a fatal, clear error. */
export function readIpcConfig(env: NodeJS.ProcessEnv = process.env): ConfigOverrides {
  const raw = env[IPC_CONFIG_ENV];
  if (!raw) return {};
  const parsed: unknown = JSON.parse(raw);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${IPC_CONFIG_ENV} must hold a JSON object`);
  return parsed as ConfigOverrides;
}

/**
 * Runs in the child: starts the sandbox, answers calls, forwards events to the parent, and
 * exits when told to stop or when the parent goes away (never outlive the extension host).
 */
export async function runIpcChild(createSandbox: (o: ConfigOverrides) => Sandbox): Promise<void> {
  const send = (m: IpcMessage) => {
    if (process.connected) process.send!(m);
  };
  let sandbox: Sandbox;
  try {
    sandbox = createSandbox(readIpcConfig());
    sandbox.logs.addSink((level, message) => process.stderr.write(`${new Date().toISOString()} ${level} ${message}\n`));
    await sandbox.start();
  } catch (err) {
    const e = err as { message?: string; code?: string; port?: number; setting?: string };
    send({ kind: 'fatal', message: e?.message ?? String(err), code: e?.code, port: e?.port, setting: e?.setting });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
    process.disconnect?.();
    return;
  }

  const forward = createIpcEventSender((m, done) => (process.connected ? process.send!(m, undefined, undefined, done) : (done(), false)));
  let unsubscribe: (() => void) | null = null;
  const exitAfterStop = async () => {
    unsubscribe?.();
    await sandbox.stop().catch(() => undefined);
    process.exit(0);
  };

  process.on('message', async (raw: unknown) => {
    const req = raw as IpcRequest;
    if (!req || typeof req !== 'object') return;
    if (req.kind === 'subscribe') {
      unsubscribe?.();
      unsubscribe = sandbox.control.onEvent(forward, { trace: req.trace === true });
      return;
    }
    if (req.kind === 'unsubscribe') {
      unsubscribe?.();
      unsubscribe = null;
      return;
    }
    if (req.kind !== 'call' || typeof req.id !== 'number') return;
    try {
      const result = await sandbox.control.call(req.method, req.params as never);
      send({ kind: 'result', id: req.id, result });
      if (req.method === 'stop') await exitAfterStop();
    } catch (err) {
      const e = err as ControlError;
      send({ kind: 'error', id: req.id, code: e.code ?? 'internal', message: e.message ?? String(err) });
    }
  });
  process.on('disconnect', () => void exitAfterStop());
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void exitAfterStop());
  send({ kind: 'ready', status: sandbox.status() });
}

/**
 * Sends control events to the parent without letting a trace flood swamp it: trace batches
 * pass a TraceThrottle (whole packets over budget are left out and counted in `dropped`), and
 * while the IPC channel is backed up they wait in a bounded buffer instead of piling up in
 * Node's send queue. Other events (state, sessions, logs) always go at once.
 */
export function createIpcEventSender(
  sendRaw: (m: IpcMessage, done: () => void) => unknown,
  opts: { eventsPerSecond?: number; maxInFlight?: number; maxPending?: number } = {},
): (event: ControlEvent) => void {
  const throttle = new TraceThrottle(opts.eventsPerSecond ?? 20_000);
  const maxInFlight = opts.maxInFlight ?? 4;
  const maxPending = opts.maxPending ?? 50_000;
  let inFlight = 0;
  let pending: TraceEvent[] = [];
  let dropped = 0;
  const send = (event: ControlEvent) => {
    inFlight++;
    let settled = false;
    sendRaw({ kind: 'event', event }, () => {
      if (settled) return;
      settled = true;
      inFlight--;
      flush();
    });
  };
  const flush = () => {
    if (inFlight >= maxInFlight || (pending.length === 0 && dropped === 0)) return;
    const events = pending;
    pending = [];
    const event: ControlEvent = { type: 'trace', events };
    if (dropped) event.dropped = dropped;
    dropped = 0;
    send(event);
  };
  return (event) => {
    if (event.type !== 'trace') return send(event);
    const r = throttle.filter(event.events);
    dropped += r.droppedPackets + (event.dropped ?? 0);
    for (const e of r.events) pending.push(e);
    if (pending.length > maxPending) {
      // The parent has not read for a long while: give up on this backlog, say how much.
      dropped += new Set(pending.map((e) => e.packetId)).size;
      pending = [];
    }
    flush();
  };
}

// ---------------------------------------------------------------- parent side

export class IpcStartError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly port?: number,
    readonly setting?: string,
  ) {
    super(message);
    this.name = 'IpcStartError';
  }
}

/** Drives a sandbox child process through the ControlApi. */
export class IpcControlClient implements ControlApi {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<ControlEventListener>();
  private traceListeners = 0;
  status: SandboxStatus | null = null;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (raw) => this.onMessage(raw as IpcMessage));
    child.on('exit', () => {
      for (const p of this.pending.values()) p.reject(new ControlError('not-running', 'the sandbox process exited'));
      this.pending.clear();
    });
  }

  /**
   * Forks `script --ipc` and resolves once the sandbox is listening; rejects with
   * IpcStartError (code 'EADDRINUSE', port, setting) when it could not start.
   */
  static start(script: string, overrides: ConfigOverrides, opts: ForkOptions = {}): Promise<IpcControlClient> {
    const child = fork(script, ['--ipc'], {
      ...opts,
      env: { ...(opts.env ?? process.env), [IPC_CONFIG_ENV]: JSON.stringify(overrides) },
      stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const client = new IpcControlClient(child);
      const onExit = (code: number | null) => reject(new IpcStartError(`sandbox process exited (code ${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('error', (err) => reject(err));
      const onFirst = (raw: unknown) => {
        const m = raw as IpcMessage;
        if (m.kind === 'ready') {
          child.off('exit', onExit);
          client.status = m.status;
          resolve(client);
        } else if (m.kind === 'fatal') {
          child.off('exit', onExit);
          reject(new IpcStartError(m.message, m.code, m.port, m.setting));
        } else return;
        child.off('message', onFirst);
      };
      child.on('message', onFirst);
    });
  }

  private onMessage(m: IpcMessage): void {
    if (m.kind === 'result' || m.kind === 'error') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.kind === 'result') p.resolve(m.result);
      else p.reject(new ControlError(m.code as ControlError['code'], m.message));
    } else if (m.kind === 'event') {
      if (m.event.type === 'state') this.status = m.event.status;
      for (const l of this.listeners) l(m.event);
    }
  }

  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    if (!this.child.connected) return Promise.reject(new ControlError('not-running', 'the sandbox process is not running'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const req: IpcRequest = { kind: 'call', id, method, params };
      this.child.send(req);
    });
  }

  onEvent(listener: ControlEventListener, opts: { trace?: boolean } = {}): () => void {
    this.listeners.add(listener);
    if (opts.trace) this.traceListeners++;
    this.resubscribe();
    return () => {
      if (!this.listeners.delete(listener)) return;
      if (opts.trace) this.traceListeners--;
      this.resubscribe();
    };
  }

  private resubscribe(): void {
    if (!this.child.connected) return;
    const req: IpcRequest = this.listeners.size ? { kind: 'subscribe', trace: this.traceListeners > 0 } : { kind: 'unsubscribe' };
    this.child.send(req);
  }

  /** Asks the child to stop; kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
    await this.call('stop', {}).catch(() => undefined);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
