// XEP-0160 offline storage, on disk: one JSON-lines file per bare JID under
// dataDir/offline/. Appends are synchronous (a crash of the process loses nothing the OS
// has accepted); stop() fsyncs. A removal appends a tombstone line {"removed":[nodes]}, so
// the paced delivery (offline-delivery.ts), which removes a few messages at a time as they
// are delivered, costs O(removed) and not a rewrite of the whole backlog each time; the file
// is rewritten atomically (tmp + rename) once tombstoned items outnumber the live ones, and
// deleted when none is left. A torn last line (a crash mid-append) is skipped at load: a lost
// tombstone means a message delivered again, never one lost.
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
  /**
   * The trace packet that was stored (unique within the run that stored it): the packets that
   * deliver it later name it (trace ArrivalEvent.stored). Absent in files of older versions.
   */
  readonly packetId?: string;
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
  /** Is `node` still stored for `bare`? */
  has(bare: string, node: string): boolean;
  /** The read-only view handed to plugins. */
  readonly view: OfflineView;
}

const NO_ITEMS: readonly OfflineItem[] = Object.freeze([]);

/** A tombstone line: these nodes of the file were removed. */
interface Tombstone {
  removed: string[];
}

export class DiskOfflineStore implements OfflineStore {
  private readonly items = new Map<string, OfflineItem[]>();
  /** The nodes of `items`, per bare JID (has(), removal). */
  private readonly nodes = new Map<string, Set<string>>();
  /** Per bare JID, how many removed items its file still holds (compaction). */
  private readonly dead = new Map<string, number>();
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
    this.nodes.clear();
    this.dead.clear();
    fs.mkdirSync(this.dir, { recursive: true });
    for (const name of fs.readdirSync(this.dir)) {
      if (!name.endsWith('.jsonl')) continue;
      const bare = decodeURIComponent(name.slice(0, -'.jsonl'.length));
      let list: OfflineItem[] = [];
      const removed = new Set<string>();
      for (const line of fs.readFileSync(path.join(this.dir, name), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const it = JSON.parse(line) as OfflineItem | Tombstone;
          if ('removed' in it && Array.isArray(it.removed)) for (const n of it.removed) removed.add(String(n));
          else if ('node' in it && typeof it.node === 'string' && typeof it.xml === 'string') list.push(Object.freeze(it));
        } catch {
          this.log.warn(`offline store: skipped a corrupt line in ${name}`);
        }
      }
      const all = list.length;
      if (removed.size) list = list.filter((i) => !removed.has(i.node));
      if (list.length) {
        this.items.set(bare, list);
        this.nodes.set(bare, new Set(list.map((i) => i.node)));
        if (all > list.length) this.dead.set(bare, all - list.length);
      }
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
    let set = this.nodes.get(bare);
    if (!set) this.nodes.set(bare, (set = new Set()));
    set.add(full.node);
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

  has(bare: string, node: string): boolean {
    return this.nodes.get(bare)?.has(node) ?? false;
  }

  remove(bare: string, nodes?: readonly string[]): number {
    const list = this.items.get(bare);
    const set = this.nodes.get(bare);
    if (!list || !set) return 0;
    const gone = nodes ? nodes.filter((n) => set.has(n)) : null;
    if (gone && gone.length === 0) return 0;
    const goneSet = gone ? new Set(gone) : null;
    const keep = goneSet ? list.filter((i) => !goneSet.has(i.node)) : [];
    const removed = list.length - keep.length;
    const file = this.file(bare);
    if (keep.length === 0) {
      this.items.delete(bare);
      this.nodes.delete(bare);
      this.dead.delete(bare);
      fs.rmSync(file, { force: true });
    } else {
      this.items.set(bare, keep);
      for (const n of gone!) set.delete(n);
      const dead = (this.dead.get(bare) ?? 0) + removed;
      if (dead > keep.length) {
        // More tombstoned than live: rewrite (amortised O(removed)).
        this.dead.delete(bare);
        const tmp = file + '.tmp';
        fs.writeFileSync(tmp, keep.map((i) => JSON.stringify(i) + '\n').join(''));
        fs.renameSync(tmp, file);
      } else {
        this.dead.set(bare, dead);
        fs.appendFileSync(file, JSON.stringify({ removed: gone! } satisfies Tombstone) + '\n');
      }
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
    this.nodes.clear();
    this.dead.clear();
    fs.rmSync(this.dir, { recursive: true, force: true });
    fs.mkdirSync(this.dir, { recursive: true });
    this.onChange();
  }
}
