// The parent's end of the control API over Node IPC: fork `script --ipc` with the config
// overrides in env IPC_CONFIG_ENV, wait for 'ready', then call and subscribe as in-process
// (ipc-child.ts is the child's end; wire format: IpcRequest / IpcMessage in api.ts). The one
// client: the extension (src/sandbox/sandboxProcess.ts wraps it), the tests and scripts use it.
// It imports only Node builtins, api.ts and the trace contract (trace/events.ts, plain data), so the extension host loads no sandbox server code
// (test/sandbox/control/ipc-client.test.ts bundles it to check).

import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import {
  ControlError,
  IPC_CONFIG_ENV,
  StartError,
  startErrorOf,
  type ConfigOverrides,
  type ControlApi,
  type ControlEvent,
  type ControlEventListener,
  type ControlMethod,
  type ControlParams,
  type ControlResult,
  type IpcMessage,
  type IpcRequest,
  type SandboxStatus,
  type TraceSubscription,
} from './api';
import { isSummaryEvent } from '../trace/events';
import { decodeBatch } from '../trace/wire';

export interface IpcClientOptions {
  /** The Node that runs the script (default: this process's executable). */
  execPath?: string;
  /** Node flags for the child (default: this process's); ['--import', 'tsx'] runs sandbox/cli.ts from source. */
  execArgv?: string[];
  /** The child's environment (default process.env); IPC_CONFIG_ENV is set over it. */
  env?: NodeJS.ProcessEnv;
  /** `ready` rejects with code 'ETIMEDOUT', and the child is killed, when it is not listening by then. Default 30 s. */
  startTimeoutMs?: number;
  /** How many of the child's last output lines to keep for start errors and exit reports. Default 50. */
  tailLines?: number;
}

/** How the child process ended. */
export interface IpcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** stop() was called: the exit was asked for. */
  requested: boolean;
  /** It had been ready: an exit nobody asked for after that is a crash. */
  wasReady: boolean;
  /** The last lines it wrote to stdout and stderr. */
  lastLines: string[];
}

export type TraceBatch = Extract<ControlEvent, { type: 'trace' }>;
export type OutputStream = 'stdout' | 'stderr';

type Phase = 'starting' | 'running' | 'stopping' | 'exited';

/** If the child has not exited this long after a 'fatal' message (it exits by itself), kill it. */
const FATAL_EXIT_MS = 2000;

/** Drives a sandbox child process through the ControlApi. */
export class IpcControlClient implements ControlApi {
  /**
   * Forks `script --ipc` and resolves once the sandbox listens. Rejects, once the child has
   * exited, with a StartError: a PortInUseError (port, setting) for a port in use, code
   * 'ETIMEDOUT' when it was not ready in time; its lastLines are what the child wrote last.
   */
  static async start(script: string, overrides: ConfigOverrides, opts: IpcClientOptions = {}): Promise<IpcControlClient> {
    const client = IpcControlClient.spawn(script, overrides, opts);
    await client.ready;
    return client;
  }

  /** Forks `script --ipc` and returns at once: `ready` says when it listens (or why not); stop() works from now on. Throws if fork does. */
  static spawn(script: string, overrides: ConfigOverrides, opts: IpcClientOptions = {}): IpcControlClient {
    const child = fork(script, ['--ipc'], {
      ...(opts.execPath !== undefined ? { execPath: opts.execPath } : {}),
      ...(opts.execArgv !== undefined ? { execArgv: opts.execArgv } : {}),
      env: { ...(opts.env ?? process.env), [IPC_CONFIG_ENV]: JSON.stringify(overrides) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // The structured clone algorithm (v8.serialize), not JSON: a trace batch is mostly
      // numbers (trace/wire.ts), which JSON spends most of its time formatting as text; V8's
      // serializer writes them as they are, about four times faster, and both ends are ours.
      serialization: 'advanced',
    });
    return new IpcControlClient(child, opts);
  }

  /** The sandbox's status: from 'ready', then from every 'state' event; null before ready and after the exit. */
  status: SandboxStatus | null = null;
  /** Resolves when the sandbox listens; rejects with a StartError once the child has exited without getting there. */
  readonly ready: Promise<SandboxStatus>;
  /** Resolves when the child has exited and its output is read. */
  readonly exited: Promise<IpcExit>;

  private phase: Phase = 'starting';
  private wasReady = false;
  private stopRequested = false;
  /** Why the start failed, made once the last lines are in. The first reason wins. */
  private failure: ((lastLines: string[]) => StartError) | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** listener → whether it wants trace batches */
  private readonly listeners = new Map<ControlEventListener, TraceSubscription>();
  private readonly traceTaps = new Set<(batch: TraceBatch) => void>();
  private readonly lineListeners = new Set<(line: string, stream: OutputStream) => void>();
  /** What the child was last asked to send: nothing, events, or events and trace batches. */
  private subscribed: 'none' | 'events' | 'summary' | 'trace' = 'none';
  private tail: string[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly startTimer: NodeJS.Timeout;
  private settleReady!: { resolve: (s: SandboxStatus) => void; reject: (e: Error) => void };
  private markExited!: (exit: IpcExit) => void;

  private constructor(
    private readonly child: ChildProcess,
    private readonly opts: IpcClientOptions,
  ) {
    this.ready = new Promise((resolve, reject) => (this.settleReady = { resolve, reject }));
    // Whoever awaits `ready` sees the rejection; nobody has to await it.
    this.ready.catch(() => undefined);
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    for (const [stream, name] of [[child.stdout, 'stdout'], [child.stderr, 'stderr']] as const) {
      if (stream) createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.takeLine(line, name));
    }
    child.on('message', (raw) => this.onMessage(raw as IpcMessage));
    child.on('error', (err) => this.onError(err));
    // 'close', not 'exit': stdout and stderr are read to their end by then.
    child.once('close', (code, signal) => this.onClose(code, signal));
    const ms = opts.startTimeoutMs ?? 30_000;
    this.startTimer = this.after(ms, () => {
      if (this.phase !== 'starting') return;
      this.fail((lines) => new StartError(`the sandbox did not become ready within ${ms / 1000} s`, 'ETIMEDOUT', lines));
      this.child.kill('SIGKILL');
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Ready, and neither stopping nor exited: calls are answered. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /** Calls sent and not answered yet (rejected with 'not-running' when the child exits). */
  get pendingCalls(): number {
    return this.pending.size;
  }

  /** The child's last output lines (stdout and stderr, in arrival order). */
  lastLines(n = this.opts.tailLines ?? 50): string[] {
    return this.tail.slice(-n);
  }

  /** Every non-empty line the child writes, as it comes. */
  onLine(listener: (line: string, stream: OutputStream) => void): () => void {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    if (this.phase !== 'running') return Promise.reject(new ControlError('not-running', 'the sandbox process is not running'));
    return this.request(method, params);
  }

  /** Events, and trace batches with `trace: true` or `'summary'` (the child sends those only while someone asks). */
  onEvent(listener: ControlEventListener, opts: { trace?: TraceSubscription } = {}): () => void {
    this.listeners.set(listener, opts.trace === true || opts.trace === 'summary' ? opts.trace : false);
    this.resubscribe();
    return () => {
      if (this.listeners.delete(listener)) this.resubscribe();
    };
  }

  /** The trace batches that flow because some onEvent listener asked for them; never asks for them itself. */
  onTraceBatch(listener: (batch: TraceBatch) => void): () => void {
    this.traceTaps.add(listener);
    return () => this.traceTaps.delete(listener);
  }

  /**
   * Asks the child to stop (the 'stop' call; it exits 0), or ends it with SIGTERM while it is
   * still starting (it reads no requests before 'ready'); SIGKILL if it has not exited after
   * `graceMs`. Resolves with the exit; a pending start rejects with code 'ESTOPPED'.
   */
  stop(graceMs = 3000): Promise<IpcExit> {
    if (this.phase === 'stopping' || this.phase === 'exited') return this.exited;
    const wasRunning = this.phase === 'running';
    this.stopRequested = true;
    this.phase = 'stopping';
    if (wasRunning && this.child.connected) void this.request('stop', {}).catch(() => undefined);
    else this.child.kill('SIGTERM');
    this.after(graceMs, () => this.child.kill('SIGKILL'));
    return this.exited;
  }

  private request<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      if (!this.send({ kind: 'call', id, method, params })) {
        this.pending.delete(id);
        reject(new ControlError('not-running', 'the sandbox process is not running'));
      }
    });
  }

  private send(req: IpcRequest): boolean {
    if (!this.child.connected) return false;
    try {
      // With a callback, a send on a channel that closed meanwhile is not an 'error' event: the 'close' handler reports the exit.
      this.child.send(req, () => undefined);
      return true;
    } catch {
      return false;
    }
  }

  /** Tells the child what the listeners want now, when that changed and it is listening. */
  private resubscribe(): void {
    if (this.phase !== 'running') return;
    // One stream from the child: every event if any listener wants them, else summaries if any does.
    const wants = [...this.listeners.values()];
    const want = this.listeners.size === 0 ? 'none' : wants.includes(true) ? 'trace' : wants.includes('summary') ? 'summary' : 'events';
    if (want === this.subscribed) return;
    this.subscribed = want;
    this.send(want === 'none' ? { kind: 'unsubscribe' } : { kind: 'subscribe', trace: want === 'trace' ? true : want === 'summary' ? 'summary' : false });
  }

  private onMessage(m: IpcMessage): void {
    if (!m || typeof m !== 'object') return;
    switch (m.kind) {
      case 'ready':
        clearTimeout(this.startTimer);
        // A stop during the start wins: the child is being ended, it is not reported ready.
        if (this.phase !== 'starting') return;
        this.phase = 'running';
        this.wasReady = true;
        this.status = m.status;
        this.resubscribe();
        this.settleReady.resolve(m.status);
        break;
      case 'fatal':
        clearTimeout(this.startTimer);
        this.fail((lines) => startErrorOf(m, lines));
        this.after(FATAL_EXIT_MS, () => this.child.kill('SIGKILL'));
        break;
      case 'result':
      case 'error': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.kind === 'result') p.resolve(m.result);
        else p.reject(new ControlError(m.code as ControlError['code'], m.message));
        break;
      }
      case 'event':
        this.dispatch(m.event);
        break;
      case 'trace': {
        let events;
        try {
          events = decodeBatch(m.batch);
        } catch (err) {
          this.takeLine(`${new Date().toISOString()} error a trace batch from the sandbox could not be read: ${(err as Error).message}`, 'stderr');
          break;
        }
        this.dispatch(m.dropped ? { type: 'trace', events, dropped: m.dropped } : { type: 'trace', events });
        break;
      }
    }
  }

  private dispatch(event: ControlEvent): void {
    if (event.type === 'state') this.status = event.status;
    let summaries: ControlEvent | null = null;
    for (const [listener, trace] of this.listeners) {
      if (event.type === 'trace' && !trace) continue;
      try {
        // A summary listener beside a full one: the child sends everything, this one gets the summaries.
        if (event.type === 'trace' && trace === 'summary' && this.subscribed === 'trace') listener((summaries ??= { ...event, events: event.events.filter(isSummaryEvent) }));
        else listener(event);
      } catch {
        // one broken listener must not starve the others
      }
    }
    if (event.type === 'trace') for (const tap of this.traceTaps) tap(event);
  }

  private takeLine(line: string, stream: OutputStream): void {
    if (!line) return;
    this.tail.push(line);
    const max = this.opts.tailLines ?? 50;
    if (this.tail.length > max) this.tail.splice(0, this.tail.length - max);
    for (const l of this.lineListeners) l(line, stream);
  }

  private onError(err: Error): void {
    const code = (err as NodeJS.ErrnoException).code;
    this.fail((lines) => new StartError(`the sandbox process failed: ${err.message}`, code, lines));
    // A child that could not be spawned may never emit 'close'.
    if (this.child.pid === undefined) this.onClose(null, null);
  }

  private onClose(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.phase === 'exited') return;
    this.phase = 'exited';
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.status = null;
    const lastLines = this.lastLines();
    for (const p of this.pending.values()) p.reject(new ControlError('not-running', 'the sandbox process exited'));
    this.pending.clear();
    this.listeners.clear();
    this.traceTaps.clear();
    this.lineListeners.clear();
    this.markExited({ code, signal, requested: this.stopRequested, wasReady: this.wasReady, lastLines });
    if (!this.wasReady) {
      this.settleReady.reject(
        this.failure?.(lastLines) ??
          (this.stopRequested
            ? new StartError('the sandbox was stopped before it was ready', 'ESTOPPED', lastLines)
            : new StartError(`the sandbox process exited (code ${code}${signal ? `, signal ${signal}` : ''}) before it was ready`, undefined, lastLines)),
      );
    }
  }

  private fail(make: (lastLines: string[]) => StartError): void {
    if (!this.wasReady) this.failure ??= make;
  }

  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
    return t;
  }
}
