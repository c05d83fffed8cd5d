// The stanza inspector webview: wires the model (packets from trace events), the virtual
// list, the detail view, the filters and the composer to the host protocol (src/protocol.ts).
//
// Handshake: we post {type:'ready'} once our listener is installed; the host answers with
// 'init' and then the history as 'trace' batches.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode/codicons/dist/codicon.css';
import './styles.css';

import type { FilterState, HostMessage, InspectorViewState, SessionView, TraceEvent } from '../src/protocol';
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
let pausedBatches: TraceEvent[][] = [];
let pausedCount = 0;
let running = false;
let requestCounter = 0;
const pendingSends = new Map<number, { as: string; xml: string }>();

// ---------------------------------------------------------------- layout

const toolbar = new Toolbar({
  filtersChanged(f) {
    filters = f;
    predicate = compileFilters(f);
    reindex();
    saveState();
  },
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
  clear() {
    model.clear();
    pausedBatches = [];
    pausedCount = 0;
    select(null);
    reindex();
    vscode.postMessage({ type: 'clear' });
  },
  exportVisible() {
    const events = eventsOf(visible);
    const jsonl = events.length ? events.map((e) => JSON.stringify(e)).join('\n') + '\n' : '';
    vscode.postMessage({ type: 'export', jsonl, count: events.length });
  },
});

const banner = h('div', { class: 'banner', attrs: { id: 'banner', role: 'alert', hidden: '' } });
const scroller = h('div', { class: 'scroller', attrs: { id: 'packets', tabindex: '0', role: 'grid', 'aria-label': 'Stanzas' } });
const listHeader = h(
  'div',
  { class: 'row header', attrs: { role: 'row' } },
  ...['time', '', 'from → to', 'kind/type', 'xmlns', 'outcome', 'total'].map((t, i) => h('span', { class: ['c-time', 'c-dir', 'c-addr', 'c-kind', 'c-xmlns', 'c-outcome', 'c-total'][i]!, attrs: { role: 'columnheader' } }, t)),
);
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
const list = new PacketList(scroller, (p) => select(p.id, false));
/** Says why the list is empty (nothing traced yet, or the filters hide everything). */
const listEmpty = h('div', { class: 'list-empty', attrs: { id: 'list-empty', hidden: '' } });

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
        h('details', { class: 'composer-pane', attrs: { open: '', id: 'composer' } }, h('summary', { class: 'pane-title' }, 'Composer'), composer.root),
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
  s.dataset.packets = String(model.packets.length);
  s.dataset.visible = String(visible.length);
  s.dataset.events = String(model.eventCount);
  s.dataset.paused = String(paused);
  let text = predicate.active ? `${visible.length} of ${model.packets.length} stanzas` : `${model.packets.length} stanzas`;
  text += ` · ${model.eventCount} events`;
  if (model.missedEvents) text += ` · ${model.missedEvents} missed`;
  if (paused) text += ` · paused, ${pausedCount} new events waiting`;
  s.textContent = text;
  const why = visible.length
    ? ''
    : model.packets.length
      ? `No stanza matches the filters. Clear them to see all ${model.packets.length}.`
      : 'No stanzas yet. They appear here as clients send them, or send one from the composer.';
  listEmpty.textContent = why;
  listEmpty.toggleAttribute('hidden', !why);
}

// ---------------------------------------------------------------- list and selection

function reindex(): void {
  visible = predicate.active ? model.packets.filter(predicate.test) : model.packets.slice();
  list.setItems(visible);
  updateStatus();
}

let detailFrame = 0;
function renderSelected(): void {
  if (detailFrame) return;
  detailFrame = requestAnimationFrame(() => {
    detailFrame = 0;
    const p = selected ? model.byId.get(selected) : undefined;
    // The same packet re-rendered (its outcome arrived): keep the reader's scroll position.
    const keepScroll = p && details.dataset.packet === p.id ? details.scrollTop : 0;
    details.dataset.packet = p?.id ?? '';
    if (p) renderDetails(details, p, model, { select: (id) => select(id, true), copy: (text) => vscode.postMessage({ type: 'copy', text }) });
    else renderEmpty(details, selected ? `Stanza ${selected} is no longer in the inspector's history (cleared, or from an earlier sandbox run). Select a stanza to see its path through the pipeline.` : 'Select a stanza to see its path through the pipeline.');
    details.scrollTop = keepScroll;
  });
}

function select(id: string | null, reveal = true): void {
  selected = id;
  list.setSelected(id, reveal);
  renderSelected();
  saveState();
}

/** Time spent indexing trace batches (ms), for the scale test's report. */
const stats = { ingestMs: 0, batches: 0 };

function ingest(events: TraceEvent[]): void {
  const t0 = performance.now();
  try {
    ingestBatch(events);
  } finally {
    stats.ingestMs += performance.now() - t0;
    stats.batches++;
  }
}

function ingestBatch(events: TraceEvent[]): void {
  const { added, updated, trimmed } = model.apply(events);
  if (trimmed) reindex();
  else {
    let membershipChanged = false;
    if (predicate.active) {
      // A packet's outcome and plugin verdicts arrive after it: re-test the updated ones.
      const shown = new Set(visible);
      for (const p of updated) if (predicate.test(p) !== shown.has(p)) membershipChanged = true;
    }
    if (membershipChanged) reindex();
    else {
      for (const p of added) if (predicate.test(p)) visible.push(p);
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
    if (sel && (updated.has(sel) || added.some((p) => p.id === selected || p.arrival?.parentId === selected))) renderSelected();
  }
}

// ---------------------------------------------------------------- host messages

function setRunning(r: boolean, domain: string | null): void {
  running = r;
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
    case 'init':
      setRunning(m.running, m.domain);
      setSessions(m.sessions, m.components);
      break;
    case 'trace':
      if (paused) {
        pausedBatches.push(m.events);
        pausedCount += m.events.length;
        updateStatus();
      } else ingest(m.events);
      break;
    case 'reset':
      model.clear();
      pausedBatches = [];
      pausedCount = 0;
      reindex();
      // A new sandbox run numbers packets from p1 again: the old selection would name another
      // stanza of the new run. (A refill, 'cleared', keeps it: the same history comes back.)
      if (m.reason === 'restarted') {
        pendingSelect = null;
        select(null, false);
      } else renderSelected();
      break;
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
