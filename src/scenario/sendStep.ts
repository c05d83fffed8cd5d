// Send This Step: one `sends:` (or a queue's `pushes:`) step of a script, sent into the sandbox
// the extension is running, as that character, without running the script. The simplest
// faithful behaviour, with no client of our own to keep connected:
// - the stanza goes in through the control API's stanza.inject (validated there by the one
//   stanza validator). When the character has a session in the sandbox (its bare JID, and its
//   declared resource when it has one), it is injected as that session: the session manager
//   processes it as outgoing for that session and stamps its `from` (RFC 6120 §8.1.2.1),
//   exactly as when the client writes it on its stream. When it has none, it is injected from
//   the character's declared JID (a component: its domain) and processed as incoming from that
//   address; the result says so.
// - `${Name's JID}` is the bare JID; `${Name's full JID}` the JID of the character's session,
//   else the declared resource; a character with neither has no full JID and the step is not
//   sent (the runner's rule, sandbox/scenario/engine.ts).
// - the script's domain (that of its first client) becomes the sandbox's, as `xmpp-sandbox
//   test --domain` does.
// - a [Queue] character's `pushes:` LPUSHes the item onto its `list` in the sandbox's queue
//   (queue.push, side left: the runner's order, docs/scenarios.md); a `url` elsewhere is not
//   the sandbox's queue and is refused.
// The result names the packet's outcome from the trace (delivered to whom, stored offline,
// blocked by which plugin) when the trace is on.

import * as vscode from 'vscode';
import type { SessionInfo } from '../../sandbox/control/api';
import { domainRewrite, parseScenario, stepAt, substituteVariables, type Character, type Script } from '../../sandbox/scenario/parser';
import type { OutcomeEvent } from '../../sandbox/trace/events';
import { parseJid } from '../../sandbox/xmpp/jid';
import { COMMANDS } from '../ids';
import type { SandboxProcess } from '../sandbox/sandboxProcess';
import { cursorLine } from './controller';

/** What Send This Step did, for the message shown and for the tests. */
export interface SentStep {
  /** The step's action line (1-based). */
  line: number;
  actor: string;
  /** The address it was sent as (a session's full JID, a declared JID, or the queue list). */
  as: string;
  /** True when `as` is a session the character has in the sandbox. */
  asSession: boolean;
  /** What was sent, variables resolved. */
  text: string;
  /** stanza.inject's packet id (none for a queue push). */
  packetId?: string;
  /** The packet's outcome(s) from the trace, e.g. `delivered to juliet@localhost/balcony`. */
  outcome?: string;
}

export class SendStepError extends Error {}

/** The character's session in the sandbox: its declared resource if bound, else any of its bare JID's. */
function sessionOf(c: Character, sessions: readonly SessionInfo[], rewrite: (t: string) => string): string | undefined {
  if (c.class !== 'Client' || !c.jid) return undefined;
  const bare = rewrite(c.jid.bare);
  const resources = sessions.find((s) => s.bareJid === bare)?.resources ?? [];
  const declared = c.properties.resource?.value || c.jid.resource;
  return (resources.find((r) => r.resource === declared) ?? (declared ? undefined : resources[0]))?.fullJid;
}

/** The packet's outcome and those of the packets it was forwarded as, from the trace. */
async function outcomeOf(sandbox: SandboxProcess, packetId: string, sinceSeq: number): Promise<string | undefined> {
  const describe = (o: OutcomeEvent) =>
    o.outcome === 'delivered' ? `delivered to ${o.to?.join(', ')}`
    : o.outcome === 'stored-offline' ? `stored offline for ${o.to?.join(', ')}`
    : o.outcome === 'bounced' ? `bounced with ${o.error}`
    : o.outcome === 'blocked' || o.outcome === 'dropped' ? `${o.outcome} by ${o.plugin}${o.reason ? ` (${o.reason})` : ''}`
    : o.outcome;
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline) {
    const events = await sandbox.call('trace.snapshot', { sinceSeq });
    const outcomes = new Map(events.filter((e): e is OutcomeEvent => e.type === 'outcome').map((e) => [e.packetId, e]));
    // Follow `forwarded` to the packets it produced (a local message is processed twice).
    const ends: OutcomeEvent[] = [];
    let pending = [packetId];
    let complete = true;
    for (let hop = 0; hop < 4 && pending.length; hop++) {
      const next: string[] = [];
      for (const id of pending) {
        const o = outcomes.get(id);
        if (!o) complete = false;
        else if (o.outcome === 'forwarded') next.push(...(o.produced ?? []));
        else ends.push(o);
      }
      pending = next;
    }
    if (complete && ends.length) return ends.map(describe).join('; ');
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

/** Sends the step on `line` of `doc` into the running sandbox (see the header). */
export async function sendStep(sandbox: SandboxProcess, doc: vscode.TextDocument, line: number): Promise<SentStep> {
  const script = parseScenario(doc.getText(), doc.uri.fsPath);
  const action = stepAt(script, line);
  if (!action || (action.verb !== 'sends' && action.verb !== 'pushes')) throw new SendStepError(`line ${line} is not in a 'sends:' or 'pushes:' step`);
  const problems = script.errors.filter((e) => e.line >= action.line && e.line <= action.endLine);
  if (problems.length || !action.body) throw new SendStepError(`the step on line ${action.line} has errors: ${problems.map((e) => e.message).join('; ')}`);
  const endpoints = sandbox.running ? sandbox.status?.endpoints : undefined;
  if (!endpoints) throw new SendStepError('the XMPP sandbox is not running: start it first');
  const rewrite = domainRewrite(script.domain, endpoints.domain);
  const character = script.characters.find((c) => c.name === action.actor)!;

  if (character.class === 'Queue') {
    const p = character.properties;
    if (p.url && p.url.value !== endpoints.queue) throw new SendStepError(`${character.name} uses ${p.url.value}, not the sandbox's queue (${endpoints.queue ?? 'disabled'})`);
    const text = action.body.trim();
    const item = resolve(script, text, [], rewrite, text.startsWith('<'));
    await sandbox.call('queue.push', { key: p.list!.value, values: [item], side: 'left' });
    return { line: action.line, actor: action.actor, as: p.list!.value, asSession: false, text: item };
  }

  const sessions = await sandbox.call('sessions.list', {});
  const session = sessionOf(character, sessions, rewrite);
  const as = session ?? (character.class === 'Component' ? rewrite(character.jid!.domain) : rewrite(character.properties.jid!.value));
  const text = resolve(script, action.body, sessions, rewrite, true);
  const { lastTraceSeq, traceEnabled } = await sandbox.call('status', {});
  const { packetId } = await sandbox.call('stanza.inject', { as, xml: text });
  const outcome = traceEnabled ? await outcomeOf(sandbox, packetId, lastTraceSeq) : undefined;
  return { line: action.line, actor: action.actor, as, asSession: session !== undefined, text, packetId, ...(outcome && { outcome }) };
}

function resolve(script: Script, text: string, sessions: readonly SessionInfo[], rewrite: (t: string) => string, xml: boolean): string {
  return substituteVariables(
    text,
    (ref, written) => {
      const c = script.characters.find((x) => x.name === ref.character)!;
      const jid = parseJid(rewrite(c.properties.jid!.value));
      let value: string;
      if (c.class === 'Component') value = jid.domain;
      else if (!ref.full) value = jid.bare;
      else {
        const bound = sessionOf(c, sessions, rewrite);
        const resource = c.properties.resource?.value || jid.resource;
        if (!bound && !resource) throw new SendStepError(`${written}: ${c.name} is not connected to the sandbox and declares no resource, so has no full JID`);
        value = bound ?? `${jid.bare}/${resource}`;
      }
      return value;
    },
    rewrite,
    xml,
  );
}

/** xmppSandbox.sendScenarioStep (uri, line): the CodeLens's command; with no arguments, the step at the cursor. */
export function registerSendStep(sandbox: SandboxProcess, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(COMMANDS.sendScenarioStep, async (uri?: vscode.Uri, line?: number): Promise<SentStep | { error: string } | undefined> => {
    const target = uri ?? vscode.window.activeTextEditor?.document.uri;
    const at = line ?? cursorLine(target);
    if (!target || at === undefined) {
      void vscode.window.showWarningMessage('Send This Step: put the cursor in a sends: step of a scenario script (.scs).');
      return undefined;
    }
    try {
      const sent = await sendStep(sandbox, await vscode.workspace.openTextDocument(target), at);
      const who = sent.asSession ? `as ${sent.as}` : sent.packetId ? `from ${sent.as} (${sent.actor} has no session in the sandbox)` : `onto ${sent.as}`;
      const message = `Sent ${sent.actor}'s step on line ${sent.line} ${who}${sent.outcome ? `: ${sent.outcome}` : ''}.`;
      log.info(`${message}${sent.packetId ? ` Packet ${sent.packetId}.` : ''}`);
      void vscode.window.showInformationMessage(message);
      return sent;
    } catch (err) {
      const message = `Send This Step: ${(err as Error).message}`;
      log.warn(message);
      void vscode.window.showErrorMessage(message);
      // The caller (a test, another extension) gets the reason; a throw would show a second notification.
      return { error: (err as Error).message };
    }
  });
}
