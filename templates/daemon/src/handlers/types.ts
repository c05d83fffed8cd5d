// A job is JSON on the job list: {"id": "…", "type": "notify", …fields of its type}.
// A handler is a class with a `type` and a handle(job, ctx) method; src/handlers/index.ts
// lists them. A handler that throws fails the job: it goes to the dead-letter list with the error.

import type { Element } from '@xmpp/client';

export interface Job {
  id: string;
  type: string;
  [field: string]: unknown;
}

export interface HandlerContext {
  /** Sends a stanza through the daemon's one XMPP connection (the supervisor's). */
  send(stanza: Element): void;
  /** The sender's address: user@domain/resource of that connection. */
  readonly from: string;
  log(line: string): void;
}

export interface Handler {
  readonly type: string;
  handle(job: Job, ctx: HandlerContext): Promise<void>;
}
