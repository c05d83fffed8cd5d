// The sandbox in a child process, for VS Code: the IPC client (sandbox/control/ipc-client.ts:
// fork dist/sandbox.js --ipc, calls, events, start errors, stop) plus what the editor needs
// around it: state events, the child's output in the log channel, crash reports, and event
// listeners that survive restarts. The client imports only Node builtins and the control
// API's module, so activation loads no sandbox server code.

import * as vscode from 'vscode';
import {
  ControlError,
  StartError,
  type ConfigOverrides,
  type ControlApi,
  type ControlEventListener,
  type TraceSubscription,
  type ControlMethod,
  type ControlParams,
  type ControlResult,
  type SandboxStatus,
} from '../../sandbox/control/api';
import { IpcControlClient, type IpcExit, type TraceBatch } from '../../sandbox/control/ipc-client';
import { writeChildLine } from './childLog';

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

/** A listener kept across restarts: attached to each new child's client once it is ready. */
interface Subscription {
  /** Asks the child for trace batches (onEvent with trace: true, or 'summary'). */
  trace: TraceSubscription;
  /** onEvent, not onPassiveTrace: counted in subscriberCount. */
  counted: boolean;
  attach(client: IpcControlClient): () => void;
  detach?: () => void;
}

export class SandboxProcess implements ControlApi, vscode.Disposable {
  private stateValue: ProcessState = 'stopped';
  private client: IpcControlClient | null = null;
  private readonly subscriptions = new Set<Subscription>();
  /** The last lines of the previous child, once it has exited. */
  private previousLines: string[] = [];
  private stopping: Promise<void> | null = null;

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

  /** Last status the child reported ('ready' or a 'state' event); null when stopped. */
  get status(): SandboxStatus | null {
    return this.client?.status ?? null;
  }

  get pid(): number | undefined {
    return this.client?.pid;
  }

  /** Live per-run resources (the child, pending calls): 0 once stopped (checked by the tests). */
  get liveResources(): number {
    return this.client ? 1 + this.client.pendingCalls : 0;
  }

  get subscriberCount(): number {
    return [...this.subscriptions].filter((s) => s.counted).length;
  }

  lastLogLines(n = 50): string[] {
    return this.client ? this.client.lastLines(n) : this.previousLines.slice(-n);
  }

  private setState(s: ProcessState): void {
    if (s === this.stateValue) return;
    const wasRunning = this.running;
    this.stateValue = s;
    this.stateEmitter.fire(s);
    if (wasRunning !== this.running) this.runningEmitter.fire(this.running);
  }

  /**
   * Forks the child and resolves with its status once it listens. Rejects with the client's
   * StartError (a PortInUseError for a port in use; code 'ESTOPPED' after a Stop) once the
   * child has exited, so the state is 'stopped' by then.
   */
  async start(overrides: ConfigOverrides): Promise<SandboxStatus> {
    if (this.stateValue === 'running' && this.status) return this.status;
    if (this.stateValue !== 'stopped') throw new StartError(`the sandbox is ${this.stateValue}`);
    const log = this.opts.log;
    log.info(`Starting the sandbox: ${this.opts.script} --ipc`);
    let client: IpcControlClient;
    try {
      client = IpcControlClient.spawn(this.opts.script, overrides, {
        execPath: process.execPath,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
        startTimeoutMs: this.opts.startTimeoutMs,
      });
    } catch (err) {
      throw new StartError(`could not start the sandbox process: ${(err as Error).message}`);
    }
    this.client = client;
    this.previousLines = [];
    this.setState('starting');
    client.onLine((line) => writeChildLine(log, line));
    const exited = client.exited.then((exit) => this.onExit(client, exit));
    try {
      const status = await client.ready;
      // A Stop between 'ready' and here wins, as one before it does.
      if (this.state !== 'starting') throw new StartError('the sandbox was stopped before it was ready', 'ESTOPPED');
      for (const s of this.subscriptions) s.detach = s.attach(client);
      this.setState('running');
      log.info(`Sandbox running (pid ${client.pid})`);
      return status;
    } catch (err) {
      await exited;
      throw err;
    }
  }

  private onExit(client: IpcControlClient, exit: IpcExit): void {
    if (this.client !== client) return;
    this.client = null;
    this.previousLines = exit.lastLines;
    for (const s of this.subscriptions) s.detach = undefined;
    this.opts.log.info(`Sandbox process exited (code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ''})`);
    if (exit.requested && exit.signal === 'SIGKILL') this.opts.log.warn('The sandbox did not exit in time after stop: it was killed');
    this.setState('stopped');
    if (exit.wasReady && !exit.requested) this.crashEmitter.fire({ exitCode: exit.code, signal: exit.signal, lastLines: exit.lastLines });
  }

  /** Asks the child to stop ('stop' call, it exits 0); kills it if it has not exited after the grace period. */
  stop(): Promise<void> {
    const client = this.client;
    if (this.stopping || !client) return this.stopping ?? Promise.resolve();
    this.setState('stopping');
    // onExit ran first: it is the client's first 'exited' callback.
    this.stopping = client
      .stop(this.opts.stopGraceMs ?? 3000)
      .then(() => undefined)
      .finally(() => (this.stopping = null));
    return this.stopping;
  }

  call<M extends ControlMethod>(method: M, params: ControlParams<M>): Promise<ControlResult<M>> {
    if (!this.client || !this.running) return Promise.reject(new ControlError('not-running', 'the XMPP sandbox is not running'));
    return this.client.call(method, params);
  }

  /** Listeners survive restarts: each is attached again to every new child. */
  onEvent(listener: ControlEventListener, opts: { trace?: TraceSubscription } = {}): () => void {
    const trace = opts.trace === true || opts.trace === 'summary' ? opts.trace : false;
    return this.subscribe({ trace, counted: true, attach: (c) => c.onEvent(this.guard(listener), { trace }) });
  }

  /** Whether the child currently pushes trace batches (some listener asked for them). */
  get traceSubscribed(): boolean {
    return [...this.subscriptions].some((s) => s.trace !== false);
  }

  /** Receives the trace batches that flow anyway; never turns tracing over IPC on by itself. */
  onPassiveTrace(listener: (event: TraceBatch) => void): () => void {
    return this.subscribe({ trace: false, counted: false, attach: (c) => c.onTraceBatch(this.guard(listener)) });
  }

  private subscribe(s: Subscription): () => void {
    this.subscriptions.add(s);
    if (this.client && this.running) s.detach = s.attach(this.client);
    return () => {
      if (!this.subscriptions.delete(s)) return;
      s.detach?.();
      s.detach = undefined;
    };
  }

  /** A listener that throws is reported in the log; the others still get the event. */
  private guard<E>(listener: (event: E) => void): (event: E) => void {
    return (event) => {
      try {
        listener(event);
      } catch (err) {
        this.opts.log.error(`event listener failed: ${(err as Error).message}`);
      }
    };
  }

  dispose(): void {
    // The host is going away: ask nicely; the client kills the child after the grace period.
    void this.stop();
    this.subscriptions.clear();
    this.stateEmitter.dispose();
    this.runningEmitter.dispose();
    this.crashEmitter.dispose();
  }
}
