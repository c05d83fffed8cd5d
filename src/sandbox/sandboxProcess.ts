// The sandbox in a child process: fork dist/sandbox.js --ipc, drive it with the control API
// over Node IPC (wire format: IpcRequest / IpcMessage in sandbox/control/api.ts), forward its
// stdout/stderr to the log channel, report crashes. The sandbox never runs in the extension
// host: only types are imported from sandbox/**, so activation loads no sandbox code.

import { fork, type ChildProcess } from 'node:child_process';
import * as vscode from 'vscode';
import type {
  ConfigOverrides,
  ControlApi,
  ControlEvent,
  ControlEventListener,
  ControlMethod,
  ControlParams,
  ControlResult,
  IpcMessage,
  IpcRequest,
  SandboxStatus,
} from '../../sandbox/control/api';
import { DisposableStore } from '../util/disposables';
import { LineSplitter, LogTail, writeChildLine } from './childLog';
import { SandboxCallError, SandboxStartError } from './errors';

export { SandboxCallError, SandboxStartError };

export type ProcessState = 'stopped' | 'starting' | 'running' | 'stopping';

export interface CrashInfo {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  lastLines: string[];
}

export interface SandboxProcessOptions {
  /** dist/sandbox.js */
  script: string;
  log: vscode.LogOutputChannel;
  /** Wait this long for 'ready'. */
  startTimeoutMs?: number;
  /** After the stop call, kill the child if it has not exited by then (the contract says 3 s). */
  stopGraceMs?: number;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Run {
  child: ChildProcess;
  pending: Map<number, Pending>;
  /** Everything this run registered: child listeners, timers. Emptied when the child exits. */
  resources: DisposableStore;
  exited: Promise<void>;
  /** stop() was called: an exit is expected, not a crash or a failed start. */
  stopRequested?: boolean;
}

export class SandboxProcess implements ControlApi, vscode.Disposable {
  private stateValue: ProcessState = 'stopped';
  private run: Run | null = null;
  private nextId = 1;
  private readonly listeners = new Map<ControlEventListener, { trace: boolean }>();
  /** See trace batches only while someone else subscribed with trace: true (costs the child nothing). */
  private readonly passiveTrace = new Set<(events: Extract<ControlEvent, { type: 'trace' }>) => void>();
  private readonly tail = new LogTail(50);
  private stopping: Promise<void> | null = null;

  /** Last status the child reported ('ready' or a 'state' event); null when stopped. */
  status: SandboxStatus | null = null;

  private readonly stateEmitter = new vscode.EventEmitter<ProcessState>();
  private readonly runningEmitter = new vscode.EventEmitter<boolean>();
  private readonly crashEmitter = new vscode.EventEmitter<CrashInfo>();
  readonly onDidChangeState = this.stateEmitter.event;
  readonly onDidChangeRunning = this.runningEmitter.event;
  /** The child exited without being asked to (after it was ready). */
  readonly onDidCrash = this.crashEmitter.event;

  constructor(private readonly opts: SandboxProcessOptions) {}

  get state(): ProcessState {
    return this.stateValue;
  }

  get running(): boolean {
    return this.stateValue === 'running';
  }

  get pid(): number | undefined {
    return this.run?.child.pid;
  }

  /** Live per-run resources + pending calls: 0 once stopped (checked by the tests). */
  get liveResources(): number {
    return this.run ? this.run.resources.size + this.run.pending.size + 1 : 0;
  }

  get subscriberCount(): number {
    return this.listeners.size;
  }

  lastLogLines(n = 50): string[] {
    return this.tail.last(n);
  }

  private setState(s: ProcessState): void {
    if (s === this.stateValue) return;
    const wasRunning = this.running;
    this.stateValue = s;
    this.stateEmitter.fire(s);
    if (wasRunning !== this.running) this.runningEmitter.fire(this.running);
  }

  /** Forks the child and resolves with its status once it listens. */
  async start(overrides: ConfigOverrides): Promise<SandboxStatus> {
    if (this.stateValue === 'running' && this.status) return this.status;
    if (this.stateValue !== 'stopped') throw new SandboxStartError(`the sandbox is ${this.stateValue}`);
    this.setState('starting');
    this.tail.clear();
    const log = this.opts.log;
    log.info(`Starting the sandbox: ${this.opts.script} --ipc`);

    let child: ChildProcess;
    try {
      child = fork(this.opts.script, ['--ipc'], {
        execPath: process.execPath,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', XMPP_SANDBOX_CONFIG: JSON.stringify(overrides) },
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
    } catch (err) {
      this.setState('stopped');
      throw new SandboxStartError(`could not start the sandbox process: ${(err as Error).message}`);
    }

    const resources = new DisposableStore();
    let markExited!: () => void;
    const run: Run = { child, pending: new Map(), resources, exited: new Promise<void>((r) => (markExited = r)) };
    this.run = run;

    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      const splitter = new LineSplitter((line) => {
        this.tail.push(line);
        writeChildLine(log, line);
      });
      const onData = (chunk: Buffer) => splitter.push(chunk.toString('utf8'));
      stream.on('data', onData);
      resources.addFn(() => {
        stream.off('data', onData);
        splitter.flush();
      });
    }

    return new Promise<SandboxStatus>((resolve, reject) => {
      let settled = false;
      let exited = false;
      let startError: SandboxStartError | null = null;
      // A failed start settles once the child has exited, so the state is 'stopped' by then.
      const fail = (e: SandboxStartError) => {
        if (settled) return;
        startError ??= e;
        if (exited) {
          settled = true;
          reject(startError);
          return;
        }
        const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
        resources.addFn(() => clearTimeout(kill));
      };
      const timer = setTimeout(() => {
        fail(new SandboxStartError(`the sandbox did not become ready within ${this.startTimeoutMs / 1000} s`, 'ETIMEDOUT', undefined, undefined, this.tail.last(50)));
        child.kill('SIGKILL');
      }, this.startTimeoutMs);
      resources.addFn(() => clearTimeout(timer));

      const onMessage = (raw: unknown) => {
        const m = raw as IpcMessage;
        if (!m || typeof m !== 'object') return;
        switch (m.kind) {
          case 'ready':
            clearTimeout(timer);
            this.status = m.status;
            // A Stop during start wins: the child is being ended, do not report it running.
            if (!settled && !run.stopRequested) {
              settled = true;
              this.setState('running');
              this.sendSubscription();
              log.info(`Sandbox running (pid ${child.pid})`);
              resolve(m.status);
            }
            break;
          case 'fatal':
            clearTimeout(timer);
            log.error(`Sandbox failed: ${m.message}`);
            fail(new SandboxStartError(m.message, m.code, m.port, m.setting, this.tail.last(50)));
            break;
          case 'result':
          case 'error': {
            const p = run.pending.get(m.id);
            if (!p) return;
            run.pending.delete(m.id);
            if (m.kind === 'result') p.resolve(m.result);
            else p.reject(new SandboxCallError(m.code, m.message));
            break;
          }
          case 'event':
            this.dispatch(m.event);
            break;
        }
      };
      const onError = (err: Error) => {
        log.error(`Sandbox process error: ${err.message}`);
        fail(new SandboxStartError(`the sandbox process failed: ${err.message}`, (err as NodeJS.ErrnoException).code));
        // A child that failed to spawn emits no 'exit'.
        if (child.pid === undefined) onExit(null, null);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        exited = true;
        const wasState = this.stateValue;
        log.info(`Sandbox process exited (code ${code}${signal ? `, signal ${signal}` : ''})`);
        for (const p of run.pending.values()) p.reject(new SandboxCallError('not-running', 'the sandbox process exited'));
        run.pending.clear();
        resources.clear();
        if (this.run === run) this.run = null;
        this.status = null;
        this.setState('stopped');
        markExited();
        if (!settled && run.stopRequested) {
          fail(startError ?? new SandboxStartError('the sandbox was stopped before it was ready', 'ESTOPPED'));
        } else if (!settled) {
          fail(startError ?? new SandboxStartError(`the sandbox process exited (code ${code}) before it was ready`, undefined, undefined, undefined, this.tail.last(50)));
        } else if (wasState === 'running' && !run.stopRequested) {
          this.crashEmitter.fire({ exitCode: code, signal, lastLines: this.tail.last(50) });
        }
      };
      child.on('message', onMessage);
      child.on('error', onError);
      // 'close' (not 'exit'): stdout/stderr are drained by then, so a crash report has the last lines.
      child.once('close', onExit);
      resources.addFn(() => {
        child.off('message', onMessage);
        child.off('error', onError);
      });
    });
  }

  private get startTimeoutMs(): number {
    return this.opts.startTimeoutMs ?? 30_000;
  }

  /** Asks the child to stop ('stop' call, it exits 0); kills it if it has not exited after the grace period. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    const run = this.run;
    if (!run) return Promise.resolve();
    const wasStarting = this.stateValue === 'starting';
    run.stopRequested = true;
    this.setState('stopping');
    const grace = this.opts.stopGraceMs ?? 3000;
    this.stopping = (async () => {
      const child = run.child;
      if (wasStarting) {
        // The child only reads IPC requests once it is ready: end it now.
        child.kill('SIGTERM');
      } else if (child.connected) {
        const id = this.nextId++;
        const asked = new Promise<unknown>((resolve, reject) => run.pending.set(id, { resolve, reject }));
        try {
          child.send({ kind: 'call', id, method: 'stop', params: {} } satisfies IpcRequest);
        } catch {
          run.pending.delete(id);
        }
        void asked.catch(() => undefined);
      } else {
        child.kill('SIGTERM');
      }
      const killTimer = setTimeout(() => {
        this.opts.log.warn(`The sandbox did not exit ${grace / 1000} s after stop: killing it`);
        child.kill('SIGKILL');
      }, grace);
      await run.exited;
      clearTimeout(killTimer);
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    const run = this.run;
    if (!run || !run.child.connected || this.stateValue !== 'running') {
      return Promise.reject(new SandboxCallError('not-running', 'the XMPP sandbox is not running'));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      run.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const req: IpcRequest = { kind: 'call', id, method, params };
      try {
        run.child.send(req);
      } catch (err) {
        run.pending.delete(id);
        reject(new SandboxCallError('not-running', (err as Error).message));
      }
    });
  }

  /** Listeners survive restarts: the subscription is sent again to each new child. */
  onEvent(listener: ControlEventListener, opts: { trace?: boolean } = {}): () => void {
    this.listeners.set(listener, { trace: opts.trace === true });
    this.sendSubscription();
    return () => {
      if (this.listeners.delete(listener)) this.sendSubscription();
    };
  }

  /** Whether the child currently pushes trace batches (some listener asked for them). */
  get traceSubscribed(): boolean {
    return [...this.listeners.values()].some((o) => o.trace);
  }

  /** Receives the trace batches that flow anyway; never turns tracing over IPC on by itself. */
  onPassiveTrace(listener: (event: Extract<ControlEvent, { type: 'trace' }>) => void): () => void {
    this.passiveTrace.add(listener);
    return () => this.passiveTrace.delete(listener);
  }

  private sendSubscription(): void {
    const run = this.run;
    if (!run || !run.child.connected || this.stateValue !== 'running') return;
    const trace = [...this.listeners.values()].some((o) => o.trace);
    const req: IpcRequest = this.listeners.size ? { kind: 'subscribe', trace } : { kind: 'unsubscribe' };
    try {
      run.child.send(req);
    } catch {
      // the exit handler reports it
    }
  }

  private dispatch(event: ControlEvent): void {
    if (event.type === 'state') this.status = event.status;
    if (event.type === 'trace') for (const l of this.passiveTrace) l(event);
    for (const [listener, o] of this.listeners) {
      if (event.type === 'trace' && !o.trace) continue;
      try {
        listener(event);
      } catch (err) {
        this.opts.log.error(`event listener failed: ${(err as Error).message}`);
      }
    }
  }

  dispose(): void {
    const run = this.run;
    if (run) {
      // The host is going away: ask nicely, and make sure the child does not outlive us.
      void this.stop();
      setTimeout(() => run.child.kill('SIGKILL'), this.opts.stopGraceMs ?? 3000).unref();
    }
    this.listeners.clear();
    this.passiveTrace.clear();
    this.stateEmitter.dispose();
    this.runningEmitter.dispose();
    this.crashEmitter.dispose();
  }
}
