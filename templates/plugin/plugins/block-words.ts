// Preprocessor: refuses messages whose body contains a blocked word (BLOCKED_WORDS in the
// sandbox's environment, default "spam,scam"). Preprocessors run inline on every packet
// before anything else (README of the sandbox, "How a stanza travels"); returning
// { block: true, reason } stops the packet, and the trace shows this plugin and the reason.
// The sender is told with a policy-violation error (RFC 6120 §8.3.3.12).

import type { Plugin } from 'xmpp-sandbox/plugin-api';

const words = (process.env.BLOCKED_WORDS ?? 'spam,scam')
  .split(',')
  .map((w) => w.trim().toLowerCase())
  .filter(Boolean);
const pattern = words.length ? new RegExp(`\\b(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})\\b`, 'i') : null;

export default {
  id: 'block-words',
  preProcess(p, ctx) {
    // Once, on the sender's side ('out'): the receiver's pass never sees a blocked message.
    if (!pattern || p.kind !== 'message' || p.direction !== 'out' || p.type === 'error') return false;
    const hit = pattern.exec(p.element.getChildText('body') ?? '');
    if (!hit) return false;
    ctx.error('policy-violation', `the word '${hit[1]}' is not allowed here`);
    return { block: true, reason: `blocked word '${hit[1]}'` };
  },
} satisfies Plugin;
