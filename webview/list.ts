// The packet list: a virtualized listbox. Only the rows in view (plus a small overscan) exist
// in the DOM; a spacer gives the scrollbar its full height. Rows have a fixed height so the
// index of the first visible row is scrollTop / ROW_HEIGHT, whatever the number of packets.
//
// Keyboard (WAI-ARIA Authoring Practices, listbox): the list itself holds the focus and names
// the selected row with aria-activedescendant; arrows, Home/End and PageUp/PageDown move the
// selection. Each row's aria-label reads as a sentence (kind, from, to, status, time).

import { h, icon, clear } from './dom';
import { clock, duration, kindText, shortJid, statusOf, OUTCOME_ICONS } from './format';
import type { PacketModel, PacketRecord } from './model';

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

export class PacketList {
  private items: PacketRecord[] = [];
  private readonly spacer: HTMLElement;
  private readonly rowsLayer: HTMLElement;
  private selectedId: string | null = null;
  private frame = 0;
  /** Keep the newest row in view while the user has not scrolled up. */
  private follow = true;
  /** The sandbox's domain: left out of user JIDs in the From and To columns. */
  private domain: string | null = null;

  constructor(
    private readonly scroller: HTMLElement,
    private readonly model: PacketModel,
    private readonly onSelect: (p: PacketRecord) => void,
  ) {
    this.spacer = h('div', { class: 'spacer', attrs: { role: 'presentation' } });
    this.rowsLayer = h('div', { class: 'rows', attrs: { role: 'presentation' } });
    scroller.append(this.spacer, this.rowsLayer);
    scroller.addEventListener('scroll', () => {
      this.follow = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - ROW_HEIGHT;
      this.schedule();
    });
    new ResizeObserver(() => this.schedule()).observe(scroller);
    scroller.addEventListener('click', (ev) => {
      const row = (ev.target as HTMLElement).closest<HTMLElement>('.row');
      const i = row ? Number(row.dataset.index) : NaN;
      const p = this.items[i];
      if (p) this.onSelect(p);
    });
    scroller.addEventListener('keydown', (ev) => {
      const target = this.target(ev.key);
      if (target === null) return;
      ev.preventDefault();
      const next = this.items[Math.max(0, Math.min(this.items.length - 1, target))];
      if (next) this.onSelect(next);
    });
  }

  /** The index a navigation key moves the selection to, or null for other keys. */
  private target(key: string): number | null {
    const cur = this.selectedIndex();
    const page = Math.max(1, Math.floor(this.scroller.clientHeight / ROW_HEIGHT) - 1);
    switch (key) {
      case 'ArrowDown':
        return cur + 1;
      case 'ArrowUp':
        return cur < 0 ? this.items.length - 1 : cur - 1;
      case 'PageDown':
        return cur + page;
      case 'PageUp':
        return cur < 0 ? 0 : cur - page;
      case 'Home':
        return 0;
      case 'End':
        return this.items.length - 1;
      default:
        return null;
    }
  }

  private selectedIndex(): number {
    return this.selectedId ? this.items.findIndex((p) => p.id === this.selectedId) : -1;
  }

  /** Replace the rows shown (the filtered index). The array is kept by reference. */
  setItems(items: PacketRecord[]): void {
    this.items = items;
    this.schedule();
  }

  setDomain(domain: string | null): void {
    if (domain === this.domain) return;
    this.domain = domain;
    for (const row of this.rowsLayer.children) delete (row as HTMLElement).dataset.version;
    this.schedule();
  }

  get length(): number {
    return this.items.length;
  }

  /** `id`: the row to mark selected (a row's key; null for none). */
  setSelected(id: string | null, reveal = false): void {
    this.selectedId = id;
    if (reveal && id) {
      const i = this.selectedIndex();
      if (i >= 0) this.reveal(i);
    }
    this.schedule();
  }

  private reveal(i: number): void {
    const top = i * ROW_HEIGHT;
    const s = this.scroller;
    if (top < s.scrollTop) s.scrollTop = top;
    else if (top + ROW_HEIGHT > s.scrollTop + s.clientHeight) s.scrollTop = top + ROW_HEIGHT - s.clientHeight;
    this.follow = false;
  }

  scrollToEnd(): void {
    this.follow = true;
    this.schedule();
  }

  /** Re-render on the next animation frame (many updates per frame cost one render). */
  schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  /** Render now (tests and the first paint). */
  render(): void {
    const s = this.scroller;
    this.spacer.style.height = `${this.items.length * ROW_HEIGHT}px`;
    if (this.follow) s.scrollTop = s.scrollHeight;
    const first = Math.max(0, Math.floor(s.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(this.items.length, Math.ceil((s.scrollTop + s.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const existing = this.rowsLayer.children;
    const needed = last - first;
    while (existing.length > needed) this.rowsLayer.lastElementChild!.remove();
    while (existing.length < needed) this.rowsLayer.appendChild(h('div', { class: 'row', attrs: { role: 'option' } }));
    let active: string | null = null;
    for (let i = first; i < last; i++) {
      const row = existing[i - first] as HTMLElement;
      this.fill(row, this.items[i]!, i);
      if (this.items[i]!.id === this.selectedId) active = row.id;
    }
    // The screen reader's cursor: the selected row, when it is rendered.
    if (active) s.setAttribute('aria-activedescendant', active);
    else s.removeAttribute('aria-activedescendant');
  }

  private fill(row: HTMLElement, p: PacketRecord, index: number): void {
    row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    row.dataset.index = String(index);
    row.dataset.packet = p.id;
    row.id = `row-${index}`;
    row.setAttribute('aria-posinset', String(index + 1));
    row.setAttribute('aria-setsize', String(this.items.length));
    const selected = p.id === this.selectedId;
    row.classList.toggle('selected', selected);
    row.setAttribute('aria-selected', String(selected));
    // Rows are recycled: rebuild only when the packet or one of its passes changed.
    const last = this.model.lastPass(p);
    const version = `${p.id}:${p.rev}:${last.id}:${last.rev}`;
    if (row.dataset.version === version) return;
    row.dataset.version = version;
    clear(row);
    const a = p.arrival;
    const dl = p.deadLetter;
    const { status, text } = statusOf(last, this.model);
    const earlier = p.sandboxRun !== this.model.sandboxRun;
    row.classList.toggle('earlier', earlier);
    row.classList.toggle('dead-letter', !!dl);
    const ts = a?.ts ?? dl?.ts;
    // Dead letters: from the list the bridge read, to the dead-letter list.
    const from = dl ? dl.key : a?.from;
    const to = dl ? dl.dest : a?.to;
    const dirTitle = dl ? 'refused by the bridge' : last !== p ? 'out for the sender, then in for the receiver' : a?.direction === 'out' ? 'out: for the sender' : 'in: for the receiver';
    row.setAttribute(
      'aria-label',
      `${kindText(p)} from ${from ?? 'the server'} to ${to ?? 'the server'}, ${text}, at ${ts ? clock(ts) : 'an unknown time'}${earlier ? ', from an earlier sandbox run' : ''}`,
    );
    row.append(
      h('span', { class: 'c-time', title: earlier ? 'From an earlier sandbox run' : undefined }, ts ? clock(ts) : ''),
      h('span', { class: 'c-dir', title: dirTitle }, icon(dl ? 'warning' : last !== p ? 'arrow-swap' : a?.direction === 'out' ? 'arrow-up' : 'arrow-down')),
      // Titles: the full text of cells the column width truncates.
      h('span', { class: 'c-from', title: from ?? '' }, dl ? (from ?? '—') : shortJid(from, this.domain)),
      h('span', { class: 'c-to', title: to ?? '' }, dl ? (to ?? '—') : shortJid(to, this.domain)),
      h('span', { class: `c-kind kind-${a?.kind ?? 'unknown'}` }, kindText(p)),
      h('span', { class: 'c-xmlns', title: a?.xmlns ?? '' }, a?.xmlns ?? ''),
      h('span', { class: `c-outcome outcome-${status}`, title: text }, icon(OUTCOME_ICONS[status] ?? 'question'), ' ', text),
      h('span', { class: 'c-total' }, duration(last.outcome?.totalUs)),
    );
  }
}
