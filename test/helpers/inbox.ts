// What a test peer has received (stanzas, JSON events, …), in arrival order, and a way to wait
// for the first one that matches. Shared by the XMPP test client (test/helpers/xmpp-client.ts)
// and the slixmpp process driver (test/sandbox/interop/slix-harness.ts).

export class Inbox<T> {
  /** Received and not yet taken by next(), in arrival order. */
  readonly items: T[] = [];
  private readonly waiters: { pred: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  /**
   * @param defaultTimeoutMs next()'s timeout when the caller gives none
   * @param timeoutMessage the error next() rejects with when nothing matched in time
   */
  constructor(
    private readonly defaultTimeoutMs: number,
    private readonly timeoutMessage: (timeoutMs: number) => string,
  ) {}

  /** A new item: it goes to the oldest waiter it matches, or else into `items`. */
  push(item: T): void {
    const i = this.waiters.findIndex((w) => w.pred(item));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(item);
    else this.items.push(item);
  }

  /** Resolves with the first item (already received or future) matching `pred`, taking it out of the inbox. */
  next(pred: (item: T) => boolean, timeoutMs = this.defaultTimeoutMs): Promise<T> {
    const i = this.items.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.items.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const w = { pred, resolve: (item: T) => (clearTimeout(timer), resolve(item)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(this.timeoutMessage(timeoutMs)));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}
