// What the supervisor and its worker processes say to each other over the IPC channel.

/** Worker → supervisor. */
export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'memory'; rss: number }
  | { kind: 'job'; id: string; state: 'started' | 'done' | 'failed'; error?: string }
  /** A stanza for the supervisor's one XMPP connection to send. */
  | { kind: 'send'; stanza: ElementData };

/** Supervisor → worker: finish the job in hand, take no other, exit 0. */
export type ToWorker = { kind: 'drain' };

/** The environment variable that tells a worker process its slot. */
export const SLOT_ENV = 'DAEMON_SLOT';
/** The supervisor's configuration (JSON), so a worker runs with exactly the same. */
export const CONFIG_ENV = 'DAEMON_CONFIG';

/** An element as plain data, to cross the IPC channel (which carries JSON). */
export interface ElementData {
  name: string;
  attrs: Record<string, string>;
  children: (ElementData | string)[];
}

interface ElementLike {
  name: string;
  attrs: Record<string, string>;
  children: (ElementLike | string)[];
}

export function toData(el: ElementLike): ElementData {
  return { name: el.name, attrs: { ...el.attrs }, children: el.children.map((c) => (typeof c === 'string' ? c : toData(c))) };
}
