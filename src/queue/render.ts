// What the read-only queue editor shows for one key: a header with the type and length, the
// items with their indexes (the first and last PAGE of a long list, and how many are left out
// between), a dead letter's reason next to its item, and a string's value. No vscode import:
// test/src/queue/render.test.ts runs it in Node.

import type { QueueKeyInfo } from '../../sandbox/control/api';
import { NS_PING } from '../../sandbox/xmpp/vocabulary';

/** How many items the editor shows at each end of a long list. */
export const QUEUE_PAGE = 100;

/** The list the bridge takes stanzas from (sandbox/config.ts bridge.inList; not a VS Code setting). */
export const BRIDGE_OUTBOX = 'xmpp:outbox';

/** One key as read from the sandbox: `head` from index 0, `tail` the last items when the list is longer than two pages. */
export interface QueueSnapshot {
  info: QueueKeyInfo;
  head: string[];
  tail: string[];
}

/** A dead letter as the bridge stores it (sandbox/bridge/stanza.ts deadLetter): JSON {reason, item, at}. */
export function deadLetterOf(value: string): { reason: string; item: string; at?: string } | undefined {
  if (!value.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(value) as { reason?: unknown; item?: unknown; at?: unknown };
    if (typeof v.reason !== 'string' || typeof v.item !== 'string') return undefined;
    return { reason: v.reason, item: v.item, ...(typeof v.at === 'string' ? { at: v.at } : {}) };
  } catch {
    return undefined;
  }
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/** A multi-line item indented under its index, so where one item ends stays visible. */
function indent(text: string): string {
  return text.split(/\r?\n/).join('\n    ');
}

function itemLines(index: number, value: string): string {
  const dead = deadLetterOf(value);
  if (!dead) return `[${index}] ${indent(value)}`;
  return `[${index}] reason: ${dead.reason}${dead.at ? ` · at ${dead.at}` : ''}\n    ${indent(dead.item)}`;
}

export function renderQueue(s: QueueSnapshot): string {
  const { info } = s;
  if (info.type === 'none') return `${info.key} does not exist (a list is deleted when its last item is taken, as in Redis).\n`;
  if (info.type === 'string') return `${info.key} · string · ${plural(info.length, 'byte')}\n\n${s.head[0] ?? ''}\n`;
  const lines = [
    `${info.key} · list · ${plural(info.length, 'item')}`,
    // Which end is which, since LPUSH producers and RPOP/BLMOVE RIGHT consumers (the bridge) meet here.
    'index 0 is the left end: LPUSH adds there; BRPOP and BLMOVE … RIGHT (the bridge) take from the other end.',
    '',
  ];
  s.head.forEach((v, i) => lines.push(itemLines(i, v)));
  if (s.tail.length) {
    const hidden = info.length - s.head.length - s.tail.length;
    if (hidden > 0) lines.push('', `… ${plural(hidden, 'item')} not shown ([${s.head.length}] to [${s.head.length + hidden - 1}]); Copy Items copies the whole list …`, '');
    const first = info.length - s.tail.length;
    s.tail.forEach((v, i) => lines.push(itemLines(first + i, v)));
  }
  return lines.join('\n') + '\n';
}

/** Stanza templates offered by Push Item… for the bridge's outbox (README "The queue and the bridge"). */
export function outboxTemplates(domain: string): { label: string; detail: string; xml: string }[] {
  return [
    {
      label: 'message',
      detail: `a chat message to worker@${domain}, sent from the bridge`,
      xml: `<message type="chat" to="worker@${domain}" id="job-1"><body>hello from the queue</body></message>`,
    },
    {
      // XEP-0199 §4: the server answers a ping with an empty result, which the bridge pushes to xmpp:inbox.
      label: 'iq ping',
      detail: `ask ${domain} for a pong (XEP-0199); the reply lands in xmpp:inbox`,
      xml: `<iq type="get" id="ping-1" to="${domain}"><ping xmlns="${NS_PING}"/></iq>`,
    },
    {
      label: 'presence',
      detail: `directed presence to worker@${domain}`,
      xml: `<presence to="worker@${domain}"><status>from the queue</status></presence>`,
    },
  ];
}
