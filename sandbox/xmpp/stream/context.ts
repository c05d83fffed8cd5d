// What every stream of one listener set shares: configuration, the session manager, the
// account store, the logger, and the registries stop() and XEP-0198 resumption need.

import type { SandboxConfig } from '../../config';
import type { Logger } from '../../log';
import type { AccountStore, SessionManagerPort, StreamErrorCondition, StreamSession } from '../session';

/** A live connection that stop() must close. */
export interface ClosableStream {
  close(condition?: StreamErrorCondition, text?: string): void;
  destroy(): void;
}

/** A session that can be ended without a connection (detached XEP-0198 sessions). */
export interface EndableSession extends StreamSession {
  endDetached(): void;
}

export class StreamContext {
  readonly sessions = new Set<EndableSession>();
  readonly connections = new Set<ClosableStream>();
  /** XEP-0198 resumption ids → sessions that may be resumed. */
  readonly resumable = new Map<string, EndableSession>();
  private counters = new Map<string, number>();
  stopping = false;

  constructor(
    readonly config: SandboxConfig,
    readonly sm: SessionManagerPort,
    readonly accounts: AccountStore,
    readonly log: Logger,
  ) {}

  nextId(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    return `${prefix}-${n}`;
  }

  /** Call into the session manager without letting its exceptions break the stream layer. */
  guard<T>(what: string, fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (e) {
      this.log.error(`session manager ${what} threw`, e);
      return fallback;
    }
  }
}
