// The selected stanza: header, links (parent, produced packets, iq partner, the offline
// store), then each of its passes (the sender's and the receiver's) with its stage timeline
// (preprocess → process → postprocess → filter, each plugin with verdict and µs) and outcome,
// and the pretty-printed XML of the input and of every output packet. A dead letter shows
// its lists, its reason and the item.
//
// The host posts summaries: a pass's stage timeline comes with 'detail' (main.ts asks for it).
// Until then, or when the sandbox's ring no longer holds it, a sentence stands where the stages
// would be; the plugin verdicts and the outcome, part of the summary, still show.

import { STAGES, type QueueEvent, type TraceEvent } from '../src/protocol';
import { h, icon, clear, type Child } from './dom';
import { clock, duration, kindText, sourceText, statusOf, OUTCOME_ICONS, VERDICT_ICONS } from './format';
import type { PacketModel, PacketRecord } from './model';
import { messageBody, prettyXml } from './xml';

export interface DetailActions {
  select(packetId: string): void;
  copy(text: string): void;
}

function link(id: string, model: PacketModel, label?: string): HTMLElement {
  const p = model.byId.get(id);
  const text = label ?? (p?.arrival ? `${p.packetId} ${kindText(p)} → ${p.arrival.to ?? '(server)'}${p.sandboxRun !== model.sandboxRun ? ' (earlier run)' : ''}` : id);
  return h('a', { class: 'packet-link', attrs: { href: '#', role: 'link' }, data: { packet: id }, title: p ? `Show ${id}` : `${id} (not in the inspector's history)` }, text);
}

function field(label: string, ...value: Child[]): HTMLElement {
  return h('div', { class: 'field' }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, ...value));
}

function xmlBlock(title: Child, xml: string, actions: DetailActions, testId: string): HTMLElement {
  return h(
    'div',
    { class: 'xml-block', data: { xml: testId } },
    h(
      'div',
      { class: 'xml-title' },
      h('span', null, title),
      h('button', { class: 'icon-button', title: 'Copy XML', attrs: { 'aria-label': 'Copy XML' }, data: { copy: testId }, on: { click: () => actions.copy(xml) } }, icon('copy')),
    ),
    h('pre', { class: 'xml' }, prettyXml(xml)),
  );
}

export function renderEmpty(root: HTMLElement, text: string): void {
  clear(root);
  root.append(h('div', { class: 'empty' }, text));
}

export interface DetailOptions {
  /** Show the row's passes together (the list shows one row per stanza). */
  grouped: boolean;
}

export function renderDetails(root: HTMLElement, selected: PacketRecord, model: PacketModel, actions: DetailActions, opts: DetailOptions = { grouped: true }): void {
  clear(root);
  // One row per stanza: the sender's pass heads it, the receiver's follows as its child.
  const p = opts.grouped ? model.rowOf(selected) : selected;
  const passes = opts.grouped ? model.passesOf(p) : [p];
  const last = passes[passes.length - 1]!;
  const a = p.arrival;
  const { status, text } = statusOf(last, model);
  const earlier = p.sandboxRun !== model.sandboxRun;
  root.append(
    h(
      'div',
      { class: 'detail-header' },
      h('span', { class: `badge kind-${a?.kind ?? 'unknown'}` }, kindText(p)),
      h('span', { class: 'packet-id' }, p.packetId),
      earlier ? h('span', { class: 'badge earlier-run', title: 'Packet ids start again at each sandbox start: this one is from an earlier run' }, 'earlier run') : null,
      h('span', { class: `outcome outcome-${status}` }, icon(OUTCOME_ICONS[status] ?? 'question'), ' ', text),
    ),
  );
  if (p.deadLetter) return renderDeadLetter(root, p.deadLetter, actions);
  if (a) {
    const src = a.source;
    const body = a.kind === 'message' ? messageBody(a.xml) : null;
    root.append(
      h(
        'div',
        { class: 'fields' },
        field('from', a.from ?? '—'),
        field('to', a.to ?? '—'),
        field('direction', passes.length > 1 ? 'out (for the sender), then in (for the receiver)' : a.direction === 'out' ? 'out (on behalf of the sender)' : 'in (for the receiver)'),
        // A bridged stanza came from a queue list: say so, not the component's session.
        field('source', ...(src.queue ? ['popped from ', h('code', { class: 'queue-key', title: [src.kind, src.jid, src.sessionId].filter(Boolean).join(' · ') }, src.queue)] : [sourceText(p)])),
        a.id ? field('id', a.id) : null,
        body !== null ? field('body', h('span', { class: 'body-text' }, body)) : null,
        a.xmlns ? field('payload', `<${a.child ?? '?'} xmlns="${a.xmlns}">`) : null,
        field('arrived', `${clock(a.ts)} · ${a.bytes} bytes · seq ${a.seq}`),
        last.outcome ? field('total', duration(last.outcome.totalUs)) : null,
      ),
    );
  }

  // Links: where this stanza came from, what it produced, its iq partner, the offline store.
  const passIds = new Set(passes.map((q) => q.id));
  const links = h('div', { class: 'links' });
  if (a?.parentId) links.append(field('parent', link(model.keyOf(a.parentId, p.sandboxRun), model), a.producedBy ? ` (copied by ${a.producedBy})` : ''));
  const produced = new Set<string>();
  for (const q of passes) for (const id of [...q.children, ...(q.outcome?.produced ?? []).map((x) => model.keyOf(x, q.sandboxRun)), ...q.plugins.flatMap((e) => (e.produced ?? []).map((x) => model.keyOf(x, q.sandboxRun)))]) if (!passIds.has(id)) produced.add(id);
  if (produced.size) links.append(field('produced', ...[...produced].flatMap((id, i) => [i ? ', ' : '', link(id, model)])));
  const partners = model.iqPartners(p).filter((q) => !passIds.has(q.id) && model.rowOf(q) === q);
  if (partners.length) {
    const isRequest = a?.stanzaType === 'get' || a?.stanzaType === 'set';
    links.append(field(isRequest ? 'response' : 'request', ...partners.flatMap((q, i) => [i ? ', ' : '', link(q.id, model)])));
  }
  for (const q of passes) {
    if (q.storedAs) links.append(field('stored as', link(q.storedAs, model), ' (delivered out of the offline store)'));
    if (q.laterDeliveries.length) links.append(field('delivered later as', ...q.laterDeliveries.flatMap((id, i) => [i ? ', ' : '', link(id, model)])));
  }
  if (links.childElementCount) root.append(links);

  // The passes, each with its stage timeline (Tigase SessionManager.processPacket).
  root.append(h('h3', null, passes.length > 1 ? 'Passes' : 'Pipeline'));
  passes.forEach((q, i) => {
    const title =
      passes.length > 1
        ? h('div', { class: 'pass-title' }, `${i + 1}. ${q.arrival?.direction === 'out' ? 'for the sender (out)' : 'for the receiver (in)'} · `, link(q.id, model, q.packetId), ` · ${statusOf(q, model).text}`)
        : null;
    const state = timelineState(q, model);
    const note = state === 'full' ? null : h('p', { class: 'timeline-note' }, TIMELINE_NOTES[state]);
    const section = h(
      'section',
      { class: `pass${q.id === selected.id && passes.length > 1 ? ' selected-pass' : ''}`, data: { pass: q.id, timeline: state }, attrs: { 'aria-label': `Pass ${i + 1} of ${passes.length}: ${q.packetId}` } },
      title,
      note,
      timelineOf(q, model, state === 'full'),
    );
    root.append(section);
  });

  // XML: the input and every output packet.
  root.append(h('h3', null, 'XML'));
  if (a) root.append(xmlBlock(`input ${p.packetId}`, a.xml, actions, p.id));
  for (const id of produced) {
    const q = model.byId.get(id);
    if (q?.arrival) root.append(xmlBlock(h('span', null, 'output ', link(id, model, q.packetId), ` → ${q.arrival.to ?? '(server)'}`), q.arrival.xml, actions, id));
  }

  root.querySelectorAll<HTMLElement>('a.packet-link').forEach((el) =>
    el.addEventListener('click', (ev) => {
      ev.preventDefault();
      actions.select(el.dataset.packet!);
    }),
  );
  if (selected !== p) root.querySelector<HTMLElement>('.selected-pass')?.scrollIntoView({ block: 'nearest' });
}

type TimelineState = 'full' | 'loading' | 'gone';

const TIMELINE_NOTES: Record<Exclude<TimelineState, 'full'>, string> = {
  loading: 'Loading the stage timeline\u2026',
  gone: "The sandbox's trace buffer no longer holds this packet's stage timeline.",
};

/**
 * 'full': the stage events are here (they came live, or with 'detail'). 'loading': asked for
 * (or about to be). 'gone': the ring lost them, or the pass is of an earlier run (whose ring went
 * with it).
 */
function timelineState(p: PacketRecord, model: PacketModel): TimelineState {
  if (p.hasStages || p.detail === 'full') return 'full';
  return model.needsDetail(p) ? 'loading' : 'gone';
}

/**
 * One pass's four stages in order, each plugin with its verdict and µs, then the outcome.
 * Without the stage events (`full` false) only the stages plugins name are listed: which
 * stages it entered, skipped, and how long each took is not known.
 */
function timelineOf(p: PacketRecord, model: PacketModel, full: boolean): HTMLElement {
  const timeline = h('ol', { class: `timeline${full ? '' : ' partial'}` });
  for (const stage of STAGES) {
    const s = p.stages[stage];
    if (!full && !s?.plugins.length) continue;
    const item = full
      ? h(
          'li',
          {
            class: `stage ${s ? (s.left ? 'done' : 'open') : 'skipped'}`,
            data: { stage },
            title: s ? undefined : 'No events for this stage: no plugin here handles this stanza, or an earlier stage stopped it',
          },
          h('div', { class: 'stage-title' }, h('span', { class: 'stage-name' }, stage), h('span', { class: 'stage-time' }, s ? (s.left ? duration(s.durationUs) : 'running') : 'skipped')),
        )
      : h('li', { class: 'stage pending', data: { stage } }, h('div', { class: 'stage-title' }, h('span', { class: 'stage-name' }, stage)));
    if (s?.plugins.length) {
      const plugins = h('ul', { class: 'plugins' });
      for (const e of s.plugins) {
        plugins.append(
          h(
            'li',
            { class: `plugin verdict-${e.verdict}`, data: { plugin: e.plugin } },
            icon(VERDICT_ICONS[e.verdict] ?? 'circle'),
            h('span', { class: 'plugin-name' }, e.plugin),
            h('span', { class: 'verdict' }, e.verdict),
            h('span', { class: 'plugin-time' }, duration(e.durationUs)),
            e.reason ? h('span', { class: 'reason' }, e.reason) : null,
            e.error ? h('span', { class: 'error' }, e.error) : null,
            ...(e.produced ?? []).flatMap((id) => [' ', link(model.keyOf(id, p.sandboxRun), model, `→ ${id}`)]),
          ),
        );
      }
      item.append(plugins);
    }
    timeline.append(item);
  }
  const o = p.outcome;
  const { status, text } = statusOf(p, model);
  timeline.append(
    h(
      'li',
      { class: `stage outcome-step outcome-${status}`, data: { stage: 'outcome' } },
      h('div', { class: 'stage-title' }, h('span', { class: 'stage-name' }, icon(OUTCOME_ICONS[status] ?? 'question'), ' ', text), h('span', { class: 'stage-time' }, duration(o?.totalUs))),
      o?.to?.length ? h('div', { class: 'outcome-detail' }, `to ${o.to.join(', ')}`) : null,
      o?.reason ? h('div', { class: 'outcome-detail' }, o.reason) : null,
      o?.error ? h('div', { class: 'outcome-detail error' }, o.error) : null,
    ),
  );
  return timeline;
}

/** A queue item the bridge refused: the lists, the reason, the item as text. */
function renderDeadLetter(root: HTMLElement, e: QueueEvent, actions: DetailActions): void {
  root.append(
    h(
      'div',
      { class: 'fields' },
      field('popped from', h('code', { class: 'queue-key' }, e.key)),
      field('moved to', h('code', { class: 'queue-key' }, e.dest ?? '—')),
      field('reason', h('span', { class: 'dead-reason' }, e.reason ?? '—')),
      field('at', `${clock(e.ts)} · seq ${e.seq}`),
    ),
  );
  if (e.item !== undefined) root.append(h('h3', null, 'Item'), xmlBlock('as pushed', e.item, actions, `dead${e.seq}`));
}

/** The events of the given rows (each with its passes), in seq order (what "export visible" writes). */
export function eventsOf(rows: readonly PacketRecord[], model: PacketModel, grouped: boolean): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (const p of rows) for (const q of grouped ? model.passesOf(p) : [p]) out.push(...q.events);
  return out.sort((x, y) => x.seq - y.seq);
}
