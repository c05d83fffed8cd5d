// The supervisor: forks `workers` worker processes (src/worker-process.ts), one per slot,
// and keeps them running:
// - a worker that dies (crash, kill) is respawned in its slot; the new process first
//   requeues the job the dead one left in the slot's processing list, so no job is lost;
//   repeated crashes back off (up to 5 s) instead of spinning;
// - a worker whose resident memory passes SOFT_MEMORY_MB is asked to drain: it finishes its
//   job, takes no other and exits, and a fresh one takes its slot (a graceful restart);
// - all XMPP output goes through the supervisor's one connection (one resource), whatever
//   the number of workers: workers send it stanzas over IPC.

import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { fileURLToPath } from 'node:url';
import { client, xml, type Client, type Element } from '@xmpp/client';
import type { DaemonConfig } from './config.js';
import { CONFIG_ENV, SLOT_ENV, type ElementData, type FromWorker, type ToWorker } from './protocol.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.js', import.meta.url));

const fromData = (d: ElementData): Element => xml(d.name, d.attrs, ...d.children.map((c) => (typeof c === 'string' ? c : fromData(c))));

export type ExitReason = 'crash' | 'memory' | 'stop';

interface Slot {
  slot: number;
  child: ChildProcess | null;
  draining: boolean;
  crashes: number;
  respawnTimer: NodeJS.Timeout | null;
}

export interface SupervisorEvents {
  spawn: [slot: number, pid: number];
  exit: [slot: number, pid: number, code: number | null, signal: NodeJS.Signals | null, reason: ExitReason];
  job: [slot: number, pid: number, id: string, state: 'started' | 'done' | 'failed', error?: string];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private xmpp: Client | null = null;
  private readonly slots: Slot[] = [];
  private readonly outbox: Element[] = [];
  private stopping = false;

  constructor(
    readonly config: DaemonConfig,
    private readonly log: (line: string) => void = (line) => console.log(line),
  ) {
    super();
  }

  /** The live worker processes, by slot. */
  get workers(): { slot: number; pid: number }[] {
    return this.slots.filter((s) => s.child?.pid !== undefined && s.child.exitCode === null).map((s) => ({ slot: s.slot, pid: s.child!.pid! }));
  }

  async start(): Promise<void> {
    const c = this.config;
    const xmpp = client({ service: c.service, domain: c.domain, username: c.username, password: c.password, resource: c.resource });
    this.xmpp = xmpp;
    xmpp.on('error', (err: Error) => this.log(`xmpp: ${err.message}`));
    xmpp.on('online', () => void this.flush());
    await xmpp.start();
    for (let i = 1; i <= c.workers; i++) {
      const s: Slot = { slot: i, child: null, draining: false, crashes: 0, respawnTimer: null };
      this.slots.push(s);
      this.spawn(s);
    }
    this.log(`supervisor ${c.username}@${c.domain}/${c.resource}: ${c.workers} worker(s) on ${c.jobList}`);
  }

  /** Drains every worker (each finishes its job; one still running after `graceMs` is killed, its job stays queued), then closes the XMPP connection. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopping = true;
    const exits = this.slots.map((s) => {
      if (s.respawnTimer) clearTimeout(s.respawnTimer);
      const child = s.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((r) => {
        const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
        child.once('exit', () => {
          clearTimeout(kill);
          r();
        });
        this.tell(child, { kind: 'drain' });
      });
    });
    await Promise.all(exits);
    await this.flush();
    this.xmpp?.reconnect.stop();
    await this.xmpp?.stop().catch(() => undefined);
  }

  private spawn(s: Slot): void {
    s.respawnTimer = null;
    s.draining = false;
    const child = fork(WORKER_SCRIPT, [], { env: { ...process.env, [SLOT_ENV]: String(s.slot), [CONFIG_ENV]: JSON.stringify(this.config) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    s.child = child;
    const pid = child.pid ?? -1;
    this.emit('spawn', s.slot, pid);
    child.on('message', (m: FromWorker) => this.onMessage(s, pid, m));
    child.on('exit', (code, signal) => {
      const reason: ExitReason = this.stopping ? 'stop' : s.draining && code === 0 ? 'memory' : 'crash';
      this.emit('exit', s.slot, pid, code, signal, reason);
      if (this.stopping) return;
      if (reason === 'crash') {
        s.crashes++;
        const delay = Math.min(5000, 100 * 2 ** (s.crashes - 1));
        this.log(`worker ${s.slot} (pid ${pid}) died (${signal ?? `exit ${code}`}); respawning in ${delay} ms`);
        s.respawnTimer = setTimeout(() => this.spawn(s), delay);
      } else {
        this.log(`worker ${s.slot} (pid ${pid}) restarted: past ${this.config.softMemoryMb} MB`);
        this.spawn(s);
      }
    });
  }

  private onMessage(s: Slot, pid: number, m: FromWorker): void {
    switch (m.kind) {
      case 'ready':
        break;
      case 'memory':
        if (!s.draining && m.rss > this.config.softMemoryMb * 1024 * 1024 && s.child) {
          s.draining = true;
          this.tell(s.child, { kind: 'drain' });
        }
        break;
      case 'job':
        if (m.state === 'done') s.crashes = 0;
        this.emit('job', s.slot, pid, m.id, m.state, m.error);
        if (m.state === 'failed') this.log(`job ${m.id} failed: ${m.error}`);
        break;
      case 'send':
        this.outbox.push(fromData(m.stanza));
        void this.flush();
        break;
    }
  }

  private tell(child: ChildProcess, m: ToWorker): void {
    if (child.connected) child.send(m);
  }

  /** Sends what the workers handed over, in order, whenever the connection is online. */
  private flushing = false;
  private async flush(): Promise<void> {
    if (this.flushing || !this.xmpp || this.xmpp.status !== 'online') return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0 && this.xmpp.status === 'online') {
        await this.xmpp.send(this.outbox[0]!);
        this.outbox.shift();
      }
    } catch (err) {
      this.log(`send failed, kept for the next connection: ${(err as Error).message}`);
    } finally {
      this.flushing = false;
    }
  }
}
