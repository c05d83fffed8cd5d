// What the explorer shows, kept current from the sandbox's events (sessions-changed,
// components-changed, queue-changed, offline-changed, plugins-changed): one fetch of each
// list when the sandbox becomes ready, then events only, no polling.

import * as vscode from 'vscode';
import type { ComponentInfo, ControlEvent, Endpoints, OfflineUserInfo, PluginInfo, QueueKeyInfo, SessionInfo } from '../../sandbox/control/api';
import type { SandboxProcess } from '../sandbox/sandboxProcess';

export interface SandboxSnapshot {
  endpoints: Endpoints | null;
  sessions: SessionInfo[];
  components: ComponentInfo[];
  queue: QueueKeyInfo[];
  plugins: PluginInfo[];
  offline: OfflineUserInfo[];
}

const empty = (): SandboxSnapshot => ({ endpoints: null, sessions: [], components: [], queue: [], plugins: [], offline: [] });

export class SandboxModel implements vscode.Disposable {
  snapshot: SandboxSnapshot = empty();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [];
  /** Bumped on every run, so a slow initial fetch of an old run cannot overwrite newer data. */
  private generation = 0;

  constructor(private readonly sandbox: SandboxProcess) {
    const off = sandbox.onEvent((e) => this.onEvent(e));
    this.disposables.push({ dispose: off }, this.changed);
    this.disposables.push(
      sandbox.onDidChangeState((s) => {
        if (s === 'running') void this.load();
        else if (s === 'stopped' || s === 'starting') this.reset();
        else this.changed.fire();
      }),
    );
    if (sandbox.running) void this.load();
  }

  private reset(): void {
    this.generation++;
    this.snapshot = empty();
    this.changed.fire();
  }

  /** The initial fetch after 'ready'. */
  async load(): Promise<void> {
    const gen = ++this.generation;
    const sb = this.sandbox;
    // The endpoints are known from 'ready': show them at once, the lists follow.
    this.snapshot.endpoints = sb.status?.endpoints ?? null;
    this.changed.fire();
    const settle = <T>(p: Promise<T>, fallback: T) => p.catch(() => fallback);
    const [sessions, components, queue, plugins, offline] = await Promise.all([
      settle(sb.call('sessions.list', {}), [] as SessionInfo[]),
      settle(sb.call('components.list', {}), [] as ComponentInfo[]),
      settle(sb.call('queue.keys', {}), [] as QueueKeyInfo[]),
      settle(sb.call('plugins.list', {}), [] as PluginInfo[]),
      settle(sb.call('offline.list', {}), [] as OfflineUserInfo[]),
    ]);
    if (gen !== this.generation || !sb.running) return;
    this.snapshot = { endpoints: sb.status?.endpoints ?? null, sessions, components, queue, plugins, offline };
    this.changed.fire();
  }

  private onEvent(e: ControlEvent): void {
    const s = this.snapshot;
    switch (e.type) {
      case 'sessions-changed':
        s.sessions = e.sessions;
        break;
      case 'components-changed':
        s.components = e.components;
        break;
      case 'queue-changed':
        s.queue = e.keys;
        break;
      case 'offline-changed':
        s.offline = e.users;
        break;
      case 'plugins-changed':
        s.plugins = e.plugins;
        break;
      case 'state':
        s.endpoints = e.status.endpoints ?? s.endpoints;
        break;
      default:
        return;
    }
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
