// The packet list: a virtualized scroller. Only the rows in view (plus a small overscan) exist
// in the DOM; a spacer gives the scrollbar its full height. Rows have a fixed height so the
// index of the first visible row is scrollTop / ROW_HEIGHT, whatever the number of packets.

import { h, icon, clear } from './dom';
import { clock, duration, kindText, outcomeText, OUTCOME_ICONS } from './format';
import type { PacketRecord } from './model';

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

  constructor(
    private readonly scroller: HTMLElement,
    private readonly onSelect: (p: PacketRecord) => void,
  ) {
    this.spacer = h('div', { class: 'spacer' });
    this.rowsLayer = h('div', { class: 'rows', attrs: { role: 'rowgroup' } });
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
      if (ev.key !== 'ArrowDown' && ev.key !== 'ArrowUp') return;
      ev.preventDefault();
      const cur = this.selectedId ? this.items.findIndex((p) => p.id === this.selectedId) : -1;
      const next = this.items[Math.max(0, Math.min(this.items.length - 1, cur + (ev.key === 'ArrowDown' ? 1 : -1)))];
      if (next) this.onSelect(next);
    });
  }

  /** Replace the rows shown (the filtered index). The array is kept by reference. */
  setItems(items: PacketRecord[]): void {
    this.items = items;
    this.schedule();
  }

  get length(): number {
    return this.items.length;
  }

  setSelected(id: string | null, reveal = false): void {
    this.selectedId = id;
    if (reveal && id) {
      const i = this.items.findIndex((p) => p.id === id);
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
    while (existing.length < needed) this.rowsLayer.appendChild(h('div', { class: 'row', attrs: { role: 'row' } }));
    for (let i = first; i < last; i++) this.fill(existing[i - first] as HTMLElement, this.items[i]!, i);
  }

  private fill(row: HTMLElement, p: PacketRecord, index: number): void {
    row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
    row.dataset.index = String(index);
    row.dataset.packet = p.id;
    const selected = p.id === this.selectedId;
    row.classList.toggle('selected', selected);
    row.setAttribute('aria-selected', String(selected));
    // Rows are recycled: rebuild only when the packet or its outcome changed.
    const version = `${p.id}:${p.events.length}`;
    if (row.dataset.version === version) return;
    row.dataset.version = version;
    clear(row);
    const a = p.arrival;
    const outcome = p.outcome?.outcome ?? 'pending';
    row.append(
      h('span', { class: 'c-time' }, a ? clock(a.ts) : ''),
      h('span', { class: 'c-dir', title: a?.direction === 'out' ? 'out: for the sender' : 'in: for the receiver' }, icon(a?.direction === 'out' ? 'arrow-up' : 'arrow-down')),
      // Titles: the full text of cells the column width truncates.
      h('span', { class: 'c-addr', title: `${a?.from ?? '—'} → ${a?.to ?? '—'}` }, h('span', { class: 'from' }, a?.from ?? '—'), ' → ', h('span', { class: 'to' }, a?.to ?? '—')),
      h('span', { class: `c-kind kind-${a?.kind ?? 'unknown'}` }, kindText(p)),
      h('span', { class: 'c-xmlns', title: a?.xmlns ?? '' }, a?.xmlns ?? ''),
      h('span', { class: `c-outcome outcome-${outcome}`, title: outcomeText(p) }, icon(OUTCOME_ICONS[outcome] ?? 'question'), ' ', outcomeText(p)),
      h('span', { class: 'c-total' }, duration(p.outcome?.totalUs)),
    );
  }
}
