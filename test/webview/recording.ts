// The trace the webview tests replay. Recorded from the real sandbox when it can start
// (two @xmpp/client apps chatting, a ping, a message to an offline user); otherwise the
// hand-written fixture that follows the same contract.

import type { SessionInfo } from '../../sandbox/control/api';
import type { TraceEvent } from '../../sandbox/trace/events';
import { scenarioTrace } from './fixture';

export interface Scenario {
  events: TraceEvent[];
  ids: Record<string, string>;
  sessions: SessionInfo[];
  domain: string;
  /** Full JIDs of the two chatting clients. */
  jids: { alice: string; bob: string };
  /** A plugin that saw several packets (for the plugin filter). */
  plugin: string;
  recorded: boolean;
}

export async function loadScenario(): Promise<Scenario> {
  const { events, ids } = scenarioTrace();
  const sessions: SessionInfo[] = [
    { bareJid: 'alice@localhost', resources: [{ sessionId: 's1', fullJid: 'alice@localhost/laptop', resource: 'laptop', transport: 'tcp', available: true, priority: 1, sm: 'off', connectedAt: 0 }] },
    { bareJid: 'bob@localhost', resources: [{ sessionId: 's2', fullJid: 'bob@localhost/phone', resource: 'phone', transport: 'websocket', available: true, priority: 1, sm: 'off', connectedAt: 0 }] },
  ];
  return { events, ids, sessions, domain: 'localhost', jids: { alice: 'alice@localhost/laptop', bob: 'bob@localhost/phone' }, plugin: 'carbons', recorded: false };
}
