// {"id": "n1", "type": "notify", "to": "alice@localhost", "text": "Your report is ready", "workMs": 0}
// Works for `workMs` (your real work goes here), then sends `text` to `to` as a chat message
// whose id is the job's, so a receiver can ignore a repeat (the queue is at-least-once).

import { xml } from '@xmpp/client';
import type { Handler, HandlerContext, Job } from './types.js';

export class NotifyHandler implements Handler {
  readonly type = 'notify';

  async handle(job: Job, ctx: HandlerContext): Promise<void> {
    const { to, text } = job;
    const workMs = job.workMs ?? 0;
    if (typeof to !== 'string' || !to.includes('@')) throw new Error("'to' must be a JID");
    if (typeof text !== 'string') throw new Error("'text' must be a string");
    if (typeof workMs !== 'number' || workMs < 0) throw new Error("'workMs' must be a number >= 0");
    await new Promise((r) => setTimeout(r, workMs));
    ctx.send(xml('message', { to, type: 'chat', id: job.id }, xml('body', {}, text)));
  }
}
