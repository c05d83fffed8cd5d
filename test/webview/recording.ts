// The trace the webview tests replay. Recorded from the real sandbox when it can start
// (two @xmpp/client apps chatting, a ping, a message to an offline user); otherwise the
// hand-written fixture that follows the same contract.

import type { SessionInfo } from '../../sandbox/control/api';
import type { TraceEvent } from '../../sandbox/trace/events';
import { scenarioTrace } from './fixture';
import { recordScenario } from './real-sandbox';

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

/** The most frequent plugin in a trace (the plugin filter test uses it). */
function commonPlugin(events: TraceEvent[]): string {
  const counts = new Map<string, number>();
  for (const e of events) if (e.type === 'plugin') counts.set(e.plugin, (counts.get(e.plugin) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/**
 * The real recording, unless INSPECTOR_FIXTURE=1 asks for the hand-written trace. When the
 * sandbox cannot start, the error is thrown: a fixture must not hide a broken recording.
 */
export async function loadScenario(): Promise<Scenario> {
  if (process.env.INSPECTOR_FIXTURE === '1') return fixtureScenario();
  const r = await recordScenario();
  return { ...r, plugin: commonPlugin(r.events), recorded: true };
}

export function fixtureScenario(): Scenario {
  const { events, ids } = scenarioTrace();
  const sessions: SessionInfo[] = [
    { bareJid: 'alice@localhost', resources: [{ sessionId: 's1', fullJid: 'alice@localhost/laptop', resource: 'laptop', transport: 'tcp', available: true, priority: 1, sm: 'off', connectedAt: 0 }] },
    { bareJid: 'bob@localhost', resources: [{ sessionId: 's2', fullJid: 'bob@localhost/phone', resource: 'phone', transport: 'websocket', available: true, priority: 1, sm: 'off', connectedAt: 0 }] },
  ];
  return { events, ids, sessions, domain: 'localhost', jids: { alice: 'alice@localhost/laptop', bob: 'bob@localhost/phone' }, plugin: 'carbons', recorded: false };
}
