// A test double of the *wire* (StreamSession) for unit tests of the session manager core:
// it records what the session manager writes. Everything behind it is the real core.
import type { Element } from '@xmpp/xml';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { resolveConfig, type DeepPartial, type SandboxConfig } from '../../../../sandbox/config';
import { LogHub } from '../../../../sandbox/log';
import { TraceBus } from '../../../../sandbox/trace/bus';
import { createSessionManagerCore, type SessionManagerCore } from '../../../../sandbox/xmpp/core/index';
import { parseJid, type Jid } from '../../../../sandbox/xmpp/jid';
import type { StreamErrorCondition, StreamSession } from '../../../../sandbox/xmpp/session';

let n = 0;
export class FakeSession implements StreamSession {
  readonly id: string;
  jid: Jid | null = null;
  readonly connectedAt = Date.now();
  sm: 'off' | 'on' | 'detached' = 'off';
  readonly sent: Element[] = [];
  closed: StreamErrorCondition | 'closed' | null = null;
  constructor(
    readonly kind: 'c2s' | 'component' = 'c2s',
    readonly transport: 'tcp' | 'websocket' | 'component' = kind === 'component' ? 'component' : 'tcp',
  ) {
    this.id = `${kind === 'c2s' ? 'c2s' : 'comp'}-fake-${++n}`;
  }
  send(stanza: Element): boolean {
    if (this.closed) return false;
    this.sent.push(stanza);
    return true;
  }
  close(condition?: StreamErrorCondition): void {
    this.closed = condition ?? 'closed';
  }
  bodies(): string[] {
    return this.sent.filter((s) => s.name === 'message').map((s) => s.getChildText('body') ?? '');
  }
}

export interface Core extends SessionManagerCore {
  config: SandboxConfig;
  trace: TraceBus;
  logs: string[];
  /** Bind a fake c2s session as `full` (and send initial presence with `priority` unless null). */
  login(full: string, priority?: number | null): FakeSession;
}

export function makeCore(overrides: DeepPartial<SandboxConfig> = {}): Core {
  const config = resolveConfig({ ...overrides, dataDir: mkdtempSync(path.join(tmpdir(), 'sm-core-')) });
  const trace = new TraceBus({ capacity: 10_000, enabled: true });
  const hub = new LogHub('debug');
  const logs: string[] = [];
  hub.addSink((l, m) => logs.push(`${l} ${m}`));
  const core = createSessionManagerCore({ config, trace, log: hub.logger() });
  core.offline.load();
  return {
    ...core,
    config,
    trace,
    logs,
    login(full, priority = 0) {
      const s = new FakeSession();
      const j = parseJid(full);
      s.jid = core.sm.bind(s, parseJid(j.bare), j.resource || null);
      if (priority !== null) core.sm.receive(s, stanza(`<presence><priority>${priority}</priority></presence>`));
      return s;
    },
  };
}

import parse from '@xmpp/xml/lib/parse.js';
export function stanza(x: string): Element {
  return parse(x);
}

export const tick = () => new Promise((r) => setImmediate(r));
