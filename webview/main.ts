// The stanza inspector webview: wires the model (packets from trace events), the virtual
// list, the detail view, the filters and the composer to the host protocol (src/protocol.ts).
//
// Handshake: we post {type:'ready'} once our listener is installed; the host answers with
// 'init' and then the history as 'trace' batches (earlier sandbox runs first, tagged with
// their run). A restart arrives as 'newSandboxRun': what is shown stays, as an earlier run.
// The history and the live stream are summaries: the stage timelines of the selected stanza's
// passes, and of every exported packet, are asked for with 'detail'.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode/codicons/dist/codicon.css';
import './styles.css';

import { DETAIL_MAX_PACKETS, type FilterState, type HostMessage, type InspectorViewState, type SessionView, type TraceEvent } from '../src/protocol';
import { Composer } from './composer';
import { eventsOf, renderDetails, renderEmpty } from './details';
import { byId, h } from './dom';
import { compileFilters, EMPTY_FILTERS, type PacketPredicate } from './filters';
import { PacketList } from './list';
import { PacketModel, type PacketRecord } from './model';
import { Toolbar } from './toolbar';
import { vscode } from './vscode';

const model = new PacketModel();
const saved = vscode.getState();
let filters: FilterState = { ...EMPTY_FILTERS, ...saved?.filters };
let predicate: { test: PacketPredicate; active: boolean } = compileFilters(filters);
let visible: PacketRecord[] = [];
let selected: string | null = saved?.selected ?? null;
let pendingSelect: string | null = null;
let paused = false;
/** List each pass of a stanza as its own row (else one row per stanza, its passes in the details). */
let bothPasses = false;
let pausedBatches: TraceEvent[][] = [];
let pausedCount = 0;
let running = false;
let requestCounter = 0;
const pendingSends = new Map<number, { as: string; xml: string }>();
/** Packets the sandbox left out of the live stream under a flood (the host's latest total). */
let leftOut = 0;

// ---------------------------------------------------------------- layout

function applyFilters(f: FilterState): void {
  filters = f;
  predicate = compileFilters(f);
  reindex();
  saveState();
}

const toolbar = new Toolbar({
  filtersChanged: applyFilters,
  togglePause() {
    paused = !paused;
    toolbar.setPaused(paused);
    if (!paused) {
      const batches = pausedBatches;
      pausedBatches = [];
      pausedCount = 0;
      for (const b of batches) ingest(b);
    }
    updateStatus();
  },
  togglePasses() {
    bothPasses = !bothPasses;
    toolbar.setPasses(bothPasses);
    list.setSelected(selected ? rowKey(selected) : null, true);
    reindex();
    renderSelected();
  },
  clear() {
    model.clear();
    leftOut = 0;
    pausedBatches = [];
    pausedCount = 0;
    select(null);
    reindex();
    vscode.postMessage({ type: 'clear' });
  },
  exportVisible() {
    // The rows as they are now: the list may grow while the stage timelines are fetched.
    void exportRows(visible.slice(), !bothPasses);
  },
  saveScenario() {
    let from = Infinity;
    let to = -Infinity;
    for (const e of eventsOf(visible, model, true)) (from = Math.min(from, e.ts)), (to = Math.max(to, e.ts));
    const jid = filters.jid.trim();
    if (from <= to) vscode.postMessage({ type: 'saveScenario', from, to, jids: jid ? [jid] : [] });
  },
});

const banner = h('div', { class: 'banner', attrs: { id: 'banner', role: 'alert', hidden: '' } });
// A listbox (WAI-ARIA APG): the list keeps the focus and points at the selected row; each
// row's label reads as a sentence, so the column header is for the eye only.
const scroller = h('div', { class: 'scroller', attrs: { id: 'packets', tabindex: '0', role: 'listbox', 'aria-label': 'Stanzas (arrow keys, Home, End, Page Up and Page Down move the selection)' } });
const COLUMNS: [string, string][] = [
  ['c-time', 'time'],
  ['c-dir', ''],
  ['c-from', 'from'],
  ['c-to', 'to'],
  ['c-kind', 'kind/type'],
  ['c-xmlns', 'xmlns'],
  ['c-outcome', 'outcome'],
  ['c-total', 'total'],
];
const listHeader = h('div', { class: 'row header', attrs: { 'aria-hidden': 'true' } }, ...COLUMNS.map(([c, t]) => h('span', { class: c }, t)));
const details = h('div', { class: 'details', attrs: { id: 'details' } });
const composer = new Composer(
  {
    send(as, xml) {
      const requestId = ++requestCounter;
      pendingSends.set(requestId, { as, xml });
      vscode.postMessage({ type: 'send', requestId, as, xml });
    },
  },
  () => saveState(),
);
const list = new PacketList(scroller, model, (p) => select(p.id, false));
/** Says why the list is empty (nothing traced yet, or the filters hide everything). */
const listEmptyText = h('span', { attrs: { id: 'list-empty-text' } });
const listEmptyClear = h('vscode-button', { attrs: { id: 'list-empty-clear', secondary: '' } }, 'Clear Filters');
listEmptyClear.addEventListener('click', () => toolbar.clearFilters({ filtersChanged: (f) => applyFilters(f) }));
const listEmpty = h('div', { class: 'list-empty', attrs: { id: 'list-empty', hidden: '' } }, listEmptyText, listEmptyClear);

document.body.append(
  h(
    'div',
    { class: 'app' },
    toolbar.root,
    banner,
    h(
      'div',
      { class: 'main' },
      h('section', { class: 'list-pane', attrs: { 'aria-label': 'Stanza list' } }, listHeader, scroller, listEmpty),
      h(
        'section',
        { class: 'side-pane' },
        details,
        // Collapsed at first: the details get the room; one click (or Enter) opens it.
        h('details', { class: 'composer-pane', attrs: { id: 'composer' } }, h('summary', { class: 'pane-title', attrs: { id: 'composer-toggle' } }, 'Composer'), composer.root),
      ),
    ),
  ),
);
toolbar.set(filters);
composer.restore(saved?.composer, saved?.sent);
renderEmpty(details, 'Select a stanza to see its path through the pipeline.');

// ---------------------------------------------------------------- state

let saveTimer = 0;
function saveState(): void {
  clearTimeout(saveTimer);
  saveTimer = window.setTimeout(() => {
    const state: InspectorViewState = { filters, selected, sent: composer.sent, composer: composer.getState() };
    vscode.setState(state);
  }, 150);
}

function updateStatus(): void {
  const s = toolbar.status;
  const rows = rowCount();
  s.dataset.packets = String(model.packets.length);
  s.dataset.rows = String(rows);
  s.dataset.visible = String(visible.length);
  s.dataset.events = String(model.eventCount);
  s.dataset.paused = String(paused);
  let text = predicate.active ? `${visible.length} of ${rows} stanzas` : `${rows} stanzas`;
  const earlier = model.earlierCount;
  if (earlier) text += ` (${earlier} packets from an earlier run)`;
  text += ` · ${model.eventCount} events`;
  s.dataset.leftOut = String(leftOut);
  if (leftOut) text += ` · ${leftOut} left out`;
  if (paused) text += ` · paused, ${pausedCount} new events waiting`;
  s.textContent = text;
  toolbar.setFiltersActive(predicate.active);
  // The hint names the button that helps: Clear Filters (Clear List would delete the stanzas).
  const hidden = visible.length === 0 && rows > 0;
  const why = visible.length ? '' : hidden ? `No stanza matches the filters. Clear Filters to see all ${rows}.` : 'No stanzas yet. They appear here as clients send them, or send one from the composer.';
  listEmptyText.textContent = why;
  listEmptyClear.toggleAttribute('hidden', !hidden);
  listEmpty.toggleAttribute('hidden', !why);
}

// ---------------------------------------------------------------- list and selection

/** Is `p` a row of the list (a receiver's pass is not, while passes are grouped)? */
function isRow(p: PacketRecord): boolean {
  return bothPasses || model.rowOf(p) === p;
}

/** Does a row pass the filters? Grouped, a stanza is shown when either of its passes matches. */
function rowMatches(p: PacketRecord): boolean {
  return bothPasses ? predicate.test(p) : model.passesOf(p).some(predicate.test);
}

function rowCount(): number {
  if (bothPasses) return model.packets.length;
  let n = 0;
  for (const p of model.packets) if (isRow(p)) n++;
  return n;
}

/** The key of the row that shows record `id`. */
function rowKey(id: string): string {
  const p = model.byId.get(id);
  return p && !bothPasses ? model.rowOf(p).id : id;
}

function reindex(): void {
  visible = model.packets.filter((p) => isRow(p) && (!predicate.active || rowMatches(p)));
  list.setItems(visible);
  updateStatus();
}

const detailActions = { select: (id: string) => select(id, true), copy: (text: string) => vscode.postMessage({ type: 'copy', text }) };

let detailFrame = 0;
function renderSelected(): void {
  if (detailFrame) return;
  detailFrame = requestAnimationFrame(() => {
    detailFrame = 0;
    const p = selected ? model.byId.get(selected) : undefined;
    // The same stanza re-rendered (its outcome arrived): keep the reader's scroll position.
    const shown = p ? rowKey(p.id) : '';
    const keepScroll = p && details.dataset.packet === shown ? details.scrollTop : 0;
    details.dataset.packet = shown;
    if (p) {
      renderDetails(details, p, model, detailActions, { grouped: !bothPasses });
      void fetchDetail(bothPasses ? [p] : model.passesOf(model.rowOf(p)));
    } else renderEmpty(details, selected ? `Stanza ${selected} is no longer in the inspector's history (cleared, or trimmed). Select a stanza to see its path through the pipeline.` : 'Select a stanza to see its path through the pipeline.');
    if (keepScroll) details.scrollTop = keepScroll;
  });
}

function select(id: string | null, reveal = true): void {
  selected = id;
  list.setSelected(id ? rowKey(id) : null, reveal);
  renderSelected();
  saveState();
}

/** Time spent indexing trace batches (ms), for the scale test's report. */
const stats = { ingestMs: 0, batches: 0 };

function ingest(events: TraceEvent[], run?: number): void {
  const t0 = performance.now();
  try {
    ingestBatch(events, run);
  } finally {
    stats.ingestMs += performance.now() - t0;
    stats.batches++;
  }
}

function ingestBatch(events: TraceEvent[], run?: number): void {
  const { added, updated, trimmed } = model.apply(events, run);
  // A receiver's pass that just arrived changes its sender's row (it is no row of its own).
  const changedRows = new Set<PacketRecord>();
  for (const p of updated) changedRows.add(bothPasses ? p : model.rowOf(p));
  for (const p of added) if (!isRow(p)) changedRows.add(model.rowOf(p));
  if (trimmed) reindex();
  else {
    let membershipChanged = false;
    if (predicate.active) {
      // A packet's outcome and plugin verdicts arrive after it: re-test the updated ones.
      const shown = new Set(visible);
      for (const p of changedRows) if (rowMatches(p) !== shown.has(p)) membershipChanged = true;
    }
    if (membershipChanged) reindex();
    else {
      for (const p of added) if (isRow(p) && (!predicate.active || rowMatches(p))) visible.push(p);
      list.setItems(visible);
      updateStatus();
    }
  }
  if (pendingSelect && model.byId.has(pendingSelect)) {
    const id = pendingSelect;
    pendingSelect = null;
    select(id, true);
  } else if (selected) {
    const sel = model.byId.get(selected);
    if (!sel) return;
    const row = bothPasses ? sel : model.rowOf(sel);
    if (changedRows.has(row) || updated.has(sel) || added.some((p) => p.id === selected || p.arrival?.parentId === sel.packetId)) {
      list.setSelected(rowKey(selected));
      renderSelected();
    }
  }
}

// ---------------------------------------------------------------- stage timelines on demand

/** A host that never answers (an older one, a failed call) must not hold an export forever. */
const DETAIL_TIMEOUT_MS = 60_000;
/** Packet ids (current run) asked for and not answered yet: never asked twice at once. */
const detailInFlight = new Set<string>();
const detailRequests = new Map<number, { ids: string[]; run: number; answered: Promise<void>; settle: () => void }>();

/** The packet ids of those of `records` that have only their summary and are not asked for yet. */
function idsNeedingDetail(records: readonly PacketRecord[]): string[] {
  return records.filter((p) => model.needsDetail(p) && !detailInFlight.has(p.packetId)).map((p) => p.packetId);
}

/** Ask for the full trace of those of `records` that need it and are not asked for yet, in one request. */
function fetchDetail(records: readonly PacketRecord[]): Promise<void> {
  const ids = idsNeedingDetail(records);
  return ids.length ? requestDetail(ids.slice(0, DETAIL_MAX_PACKETS)) : Promise.resolve();
}

/** Resolves when the host answered (the answer applied) or the request timed out. */
function requestDetail(ids: string[]): Promise<void> {
  const requestId = ++requestCounter;
  for (const id of ids) detailInFlight.add(id);
  let settle = (): void => undefined;
  const answered = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      // Unanswered: the ids may be asked again (a re-render of the selection does).
      if (takeDetailRequest(requestId)) renderSelected();
    }, DETAIL_TIMEOUT_MS);
    settle = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  detailRequests.set(requestId, { ids, run: model.sandboxRun, answered, settle });
  vscode.postMessage({ type: 'detail', requestId, packetIds: ids });
  return answered;
}

function takeDetailRequest(requestId: number): { ids: string[]; run: number } | undefined {
  const req = detailRequests.get(requestId);
  if (!req) return undefined;
  detailRequests.delete(requestId);
  // Ids of an ended run are no longer in flight (the new run's p1 is another packet).
  if (req.run === model.sandboxRun) for (const id of req.ids) detailInFlight.delete(id);
  req.settle();
  return req;
}

function applyDetailAnswer(m: Extract<HostMessage, { type: 'detail' }>): void {
  const req = takeDetailRequest(m.requestId);
  // Packet ids start again with each run: an answer about an ended run would merge into strangers.
  if (!req || req.run !== model.sandboxRun) return;
  const changed = model.applyDetail(m.events, m.missing);
  if (!changed.size) return;
  // An outcome or plugin verdict the live stream had not brought yet may change what the filters match.
  if (predicate.active) reindex();
  else {
    list.setItems(visible);
    updateStatus();
  }
  const sel = selected ? model.byId.get(selected) : undefined;
  if (sel && (bothPasses ? [sel] : model.passesOf(model.rowOf(sel))).some((q) => changed.has(q))) renderSelected();
}

/**
 * Export the rows' events as JSON lines: first the stage timelines of the packets that have
 * only their summary (in requests of at most DETAIL_MAX_PACKETS, one after the other), so the
 * export holds every event the sandbox's ring still has.
 */
async function exportRows(rows: readonly PacketRecord[], grouped: boolean): Promise<void> {
  const ids = idsNeedingDetail(rows.flatMap((p) => (grouped ? model.passesOf(p) : [p])));
  for (let i = 0; i < ids.length; i += DETAIL_MAX_PACKETS) await requestDetail(ids.slice(i, i + DETAIL_MAX_PACKETS));
  // Asked for before (the selection's): wait for those answers too.
  await Promise.all([...detailRequests.values()].map((r) => r.answered));
  const events = eventsOf(rows, model, grouped);
  const jsonl = events.length ? events.map((e) => JSON.stringify(e)).join('\n') + '\n' : '';
  vscode.postMessage({ type: 'export', jsonl, count: events.length });
}

// ---------------------------------------------------------------- host messages

function setRunning(r: boolean, domain: string | null): void {
  running = r;
  if (domain) list.setDomain(domain);
  banner.textContent = '';
  banner.classList.remove('error');
  if (!r) {
    // The way out, one click away (the same as "XMPP: Start Sandbox").
    const start = h('vscode-button', { attrs: { id: 'banner-start', secondary: '' } }, 'Start Sandbox');
    start.addEventListener('click', () => vscode.postMessage({ type: 'startSandbox' }));
    banner.append(h('span', null, 'The sandbox is not running; stanzas appear here as they pass through the pipeline. '), start);
  }
  banner.toggleAttribute('hidden', r);
  composer.setRunning(r, domain);
}

function setSessions(sessions: SessionView[], components: string[]): void {
  composer.setSessions(sessions, components);
}

window.addEventListener('message', (ev: MessageEvent<HostMessage>) => {
  const m = ev.data;
  switch (m?.type) {
    case 'setTextFilter':
      // Show in Inspector of a scenario run: its `run:<tag>`, the other filters kept.
      toolbar.set({ ...filters, text: m.text });
      applyFilters(toolbar.value());
      break;
    case 'init':
      model.sandboxRun = m.sandboxRun;
      setRunning(m.running, m.domain);
      setSessions(m.sessions, m.components);
      break;
    case 'trace':
      // An earlier run's events (a refill) are history: they never wait behind Pause.
      if (paused && m.sandboxRun === undefined) {
        pausedBatches.push(m.events);
        pausedCount += m.events.length;
        updateStatus();
      } else ingest(m.events, m.sandboxRun);
      break;
    case 'reset':
      // A refill follows: the same history comes back, so the selection stays.
      model.clear();
      leftOut = 0;
      pausedBatches = [];
      pausedCount = 0;
      reindex();
      renderSelected();
      break;
    case 'newSandboxRun': {
      // Events held by Pause belong to the run that ended: show them before it becomes an earlier run.
      const held = pausedBatches;
      pausedBatches = [];
      pausedCount = 0;
      for (const b of held) ingest(b);
      // A new sandbox run numbers packets from p1 again: the runs so far are re-keyed and kept;
      // the selection follows its record, and a stanza sent just before no longer waits.
      const renamed = model.startSandboxRun(m.sandboxRun);
      detailInFlight.clear();
      pendingSelect = null;
      if (selected) select(renamed.get(selected) ?? selected, false);
      reindex();
      break;
    }
    case 'running':
      setRunning(m.running, m.domain);
      break;
    case 'sessions':
      setSessions(m.sessions, m.components);
      break;
    case 'sendResult': {
      const req = pendingSends.get(m.requestId);
      pendingSends.delete(m.requestId);
      if (!req) break;
      composer.sendResult(req.as, req.xml, m.ok ? { ok: true, packetId: m.packetId } : { ok: false, error: m.error });
      if (m.ok) {
        if (model.byId.has(m.packetId)) select(m.packetId, true);
        else pendingSelect = m.packetId;
      }
      break;
    }
    case 'detail':
      applyDetailAnswer(m);
      break;
    case 'leftOut':
      leftOut = m.total;
      updateStatus();
      break;
    case 'exportResult':
      toolbar.status.dataset.exported = m.path ?? '';
      break;
    case 'notice':
      banner.textContent = m.message;
      banner.toggleAttribute('hidden', false);
      banner.classList.toggle('error', m.level === 'error');
      break;
  }
});

updateStatus();
list.render();
renderSelected();
vscode.postMessage({ type: 'ready' });

// For tests and debugging: the model behind the list (read-only use).
(window as unknown as { __inspector: unknown }).__inspector = { model, stats, get visible() { return visible; }, list, get running() { return running; } };
