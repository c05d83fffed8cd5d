import type * as vscode from 'vscode';

/**
 * A set of disposables that can be emptied and counted. Each sandbox run gets one, so the
 * tests can check that stopping leaves nothing behind (listeners, timers, subscriptions).
 */
export class DisposableStore implements vscode.Disposable {
  private readonly items = new Set<vscode.Disposable>();

  add<T extends vscode.Disposable>(d: T): T {
    this.items.add(d);
    return d;
  }

  /** Wraps a cleanup function; disposing the result removes it from the store. */
  addFn(fn: () => void): vscode.Disposable {
    const d: vscode.Disposable = {
      dispose: () => {
        if (this.items.delete(d)) fn();
      },
    };
    this.items.add(d);
    return d;
  }

  get size(): number {
    return this.items.size;
  }

  /** Disposes everything it holds (newest first); the store stays usable. */
  clear(): void {
    const all = [...this.items].reverse();
    this.items.clear();
    for (const d of all) {
      try {
        d.dispose();
      } catch {
        // one failing disposable must not keep the others alive
      }
    }
  }

  dispose(): void {
    this.clear();
  }
}
