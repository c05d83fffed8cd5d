// The selected packet: header, links (parent, produced packets, iq partner), the stage
// timeline (preprocess → process → postprocess → filter, each plugin with verdict and µs),
// the outcome, and the pretty-printed XML of the input and of every output packet.

import { STAGES, type PacketTraceEvent } from '../src/protocol';
import { h, icon, clear, type Child } from './dom';
import { clock, duration, kindText, outcomeText, OUTCOME_ICONS, VERDICT_ICONS } from './format';
import type { PacketModel, PacketRecord } from './model';
import { messageBody, prettyXml } from './xml';

export interface DetailActions {
  select(packetId: string): void;
  copy(text: string): void;
}

function link(id: string, model: PacketModel, label?: string): HTMLElement {
  const p = model.byId.get(id);
  const text = label ?? (p?.arrival ? `${id} ${kindText(p)} → ${p.arrival.to ?? '(server)'}` : id);
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

export function renderDetails(root: HTMLElement, p: PacketRecord, model: PacketModel, actions: DetailActions): void {
  clear(root);
  const a = p.arrival;
  const outcome = p.outcome?.outcome ?? 'pending';
  root.append(
    h(
      'div',
      { class: 'detail-header' },
      h('span', { class: `badge kind-${a?.kind ?? 'unknown'}` }, kindText(p)),
      h('span', { class: 'packet-id' }, p.id),
      h('span', { class: `outcome outcome-${outcome}` }, icon(OUTCOME_ICONS[outcome] ?? 'question'), ' ', outcomeText(p)),
    ),
  );
  if (a) {
    const src = a.source;
    const body = a.kind === 'message' ? messageBody(a.xml) : null;
    root.append(
      h(
        'div',
        { class: 'fields' },
        field('from', a.from ?? '—'),
        field('to', a.to ?? '—'),
        field('direction', a.direction === 'out' ? 'out (on behalf of the sender)' : 'in (for the receiver)'),
        field('source', [src.kind, src.transport, src.jid, src.sessionId].filter(Boolean).join(' · ')),
        a.id ? field('id', a.id) : null,
        body !== null ? field('body', h('span', { class: 'body-text' }, body)) : null,
        a.xmlns ? field('payload', `<${a.child ?? '?'} xmlns="${a.xmlns}">`) : null,
        field('arrived', `${clock(a.ts)} · ${a.bytes} bytes · seq ${a.seq}`),
        p.outcome ? field('total', duration(p.outcome.totalUs)) : null,
      ),
    );
  }

  // Links: where this packet came from, what it produced, its iq partner.
  const links = h('div', { class: 'links' });
  if (a?.parentId) links.append(field('parent', link(a.parentId, model), a.producedBy ? ` (copied by ${a.producedBy})` : ''));
  const produced = new Set<string>([...p.children, ...(p.outcome?.produced ?? []), ...p.plugins.flatMap((e) => e.produced ?? [])]);
  if (produced.size) links.append(field('produced', ...[...produced].flatMap((id, i) => [i ? ', ' : '', link(id, model)])));
  const partners = model.iqPartners(p);
  if (partners.length) {
    const isRequest = a?.stanzaType === 'get' || a?.stanzaType === 'set';
    links.append(field(isRequest ? 'response' : 'request', ...partners.flatMap((q, i) => [i ? ', ' : '', link(q.id, model)])));
  }
  if (links.childElementCount) root.append(links);

  // The timeline: the four stages in order (Tigase SessionManager.processPacket).
  const timeline = h('ol', { class: 'timeline' });
  for (const stage of STAGES) {
    const s = p.stages[stage];
    const item = h(
      'li',
      {
        class: `stage ${s ? (s.left ? 'done' : 'open') : 'skipped'}`,
        data: { stage },
        title: s ? undefined : 'No events for this stage: no plugin here handles this stanza, or an earlier stage stopped it',
      },
      h('div', { class: 'stage-title' }, h('span', { class: 'stage-name' }, stage), h('span', { class: 'stage-time' }, s ? (s.left ? duration(s.durationUs) : 'running') : 'skipped')),
    );
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
            ...(e.produced ?? []).flatMap((id) => [' ', link(id, model, `→ ${id}`)]),
          ),
        );
      }
      item.append(plugins);
    }
    timeline.append(item);
  }
  const o = p.outcome;
  timeline.append(
    h(
      'li',
      { class: `stage outcome-step outcome-${outcome}`, data: { stage: 'outcome' } },
      h('div', { class: 'stage-title' }, h('span', { class: 'stage-name' }, icon(OUTCOME_ICONS[outcome] ?? 'question'), ' ', outcomeText(p)), h('span', { class: 'stage-time' }, duration(o?.totalUs))),
      o?.to?.length ? h('div', { class: 'outcome-detail' }, `to ${o.to.join(', ')}`) : null,
      o?.reason ? h('div', { class: 'outcome-detail' }, o.reason) : null,
      o?.error ? h('div', { class: 'outcome-detail error' }, o.error) : null,
    ),
  );
  root.append(h('h3', null, 'Pipeline'), timeline);

  // XML: the input and every output packet.
  root.append(h('h3', null, 'XML'));
  if (a) root.append(xmlBlock(`input ${p.id}`, a.xml, actions, p.id));
  for (const id of produced) {
    const q = model.byId.get(id);
    if (q?.arrival) root.append(xmlBlock(h('span', null, 'output ', link(id, model, id), ` → ${q.arrival.to ?? '(server)'}`), q.arrival.xml, actions, id));
  }

  root.querySelectorAll<HTMLElement>('a.packet-link').forEach((el) =>
    el.addEventListener('click', (ev) => {
      ev.preventDefault();
      actions.select(el.dataset.packet!);
    }),
  );
}

/** The events of the given packets, in seq order (what "export visible" writes). */
export function eventsOf(packets: readonly PacketRecord[]): PacketTraceEvent[] {
  const out: PacketTraceEvent[] = [];
  for (const p of packets) out.push(...p.events);
  return out.sort((x, y) => x.seq - y.seq);
}
