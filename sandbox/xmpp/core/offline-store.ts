// XEP-0160 offline storage, on disk: one JSON-lines file per bare JID under
// dataDir/offline/. Appends are synchronous (a crash of the process loses nothing the OS
// has accepted); removals rewrite the file atomically (tmp + rename); stop() fsyncs.
// Items keep arrival order, which is stamp order (XEP-0160 §4: deliver in order).
// Plugins get `store.view` (ctx.offline): reads only, items frozen, lists copied; writing
// stays with the built-in offline plugins and the session manager (sandbox/xmpp/plugins/index.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../log';

/** One stored message (frozen). */
export interface OfflineItem {
  /** XEP-0013 node id (opaque, unique). */
  readonly node: string;
  /** Sender (full JID), shown in XEP-0013 headers. */
  readonly from: string;
  /** XEP-0082 timestamp of storage. */
  readonly stamp: string;
  /** The stanza as stored (with its <delay/>). */
  readonly xml: string;
}

/** XEP-0160 offline storage as plugins see it (ctx.offline): reads only. */
export interface OfflineView {
  /** The messages stored for `bare`, oldest first (a frozen copy). */
  list(bare: string): readonly OfflineItem[];
  count(bare: string): number;
  /** Bare JIDs with stored messages. */
  users(): string[];
}

/** The writable store (privileged: the offline plugins and the session manager). */
export interface OfflineStore extends OfflineView {
  /** Append for `bare`; null when the quota is full. */
  add(bare: string, item: Omit<OfflineItem, 'node'>): OfflineItem | null;
  /** Remove the given nodes (all when omitted); returns how many were removed. */
  remove(bare: string, nodes?: readonly string[]): number;
  /** The read-only view handed to plugins. */
  readonly view: OfflineView;
}

const NO_ITEMS: readonly OfflineItem[] = Object.freeze([]);

export class DiskOfflineStore implements OfflineStore {
  private readonly items = new Map<string, OfflineItem[]>();
  private readonly dir: string;
  private seq = 0;
  readonly view: OfflineView = Object.freeze<OfflineView>({
    list: (bare) => {
      const l = this.items.get(bare);
      return l ? Object.freeze(l.slice()) : NO_ITEMS;
    },
    count: (bare) => this.count(bare),
    users: () => this.users(),
  });

  constructor(
    dataDir: string,
    private readonly quota: number,
    private readonly log: Logger,
    private readonly onChange: () => void = () => {},
  ) {
    this.dir = path.join(dataDir, 'offline');
  }

  private file(bare: string): string {
    return path.join(this.dir, encodeURIComponent(bare) + '.jsonl');
  }

  /** Read every user's file (a line that does not parse is skipped and logged). */
  load(): void {
    this.items.clear();
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.jsonl')) continue;
      const bare = decodeURIComponent(name.slice(0, -'.jsonl'.length));
      const list: OfflineItem[] = [];
      for (const line of fs.readFileSync(path.join(this.dir, name), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const it = JSON.parse(line) as OfflineItem;
          if (typeof it.node === 'string' && typeof it.xml === 'string') list.push(Object.freeze(it));
        } catch {
          this.log.warn(`offline store: skipped a corrupt line in ${name}`);
        }
      }
      if (list.length) this.items.set(bare, list);
    }
  }

  add(bare: string, item: Omit<OfflineItem, 'node'>): OfflineItem | null {
    let list = this.items.get(bare);
    if (list && list.length >= this.quota) return null;
    const full: OfflineItem = Object.freeze({ node: `${Date.now().toString(36)}-${(++this.seq).toString(36)}`, ...item });
    fs.mkdirSync(this.dir, { recursive: true });
    fs.appendFileSync(this.file(bare), JSON.stringify(full) + '\n');
    if (!list) this.items.set(bare, (list = []));
    list.push(full);
    this.onChange();
    return full;
  }

  list(bare: string): readonly OfflineItem[] {
    return this.items.get(bare) ?? [];
  }

  count(bare: string): number {
    return this.items.get(bare)?.length ?? 0;
  }

  users(): string[] {
    return [...this.items.keys()];
  }

  remove(bare: string, nodes?: readonly string[]): number {
    const list = this.items.get(bare);
    if (!list) return 0;
    const keep = nodes ? list.filter((i) => !nodes.includes(i.node)) : [];
    const removed = list.length - keep.length;
    if (removed === 0) return 0;
    const file = this.file(bare);
    if (keep.length === 0) {
      this.items.delete(bare);
      fs.rmSync(file, { force: true });
    } else {
      this.items.set(bare, keep);
      const tmp = file + '.tmp';
      fs.writeFileSync(tmp, keep.map((i) => JSON.stringify(i) + '\n').join(''));
      fs.renameSync(tmp, file);
    }
    this.onChange();
    return removed;
  }

  /** fsync every file (clean stop). */
  sync(): void {
    for (const bare of this.items.keys()) {
      try {
        const fd = fs.openSync(this.file(bare), 'r+');
        fs.fsyncSync(fd);
        fs.closeSync(fd);
      } catch (err) {
        this.log.warn(`offline store: fsync failed for ${bare}`, err);
      }
    }
  }

  /** Wipe disk and memory. */
  reset(): void {
    this.items.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.onChange();
  }
}
