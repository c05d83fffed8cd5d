// The immutable packet that travels through the session manager (as in Tigase: a packet
// must not change once it reached the session manager; docs/interop.md §4).
// Plugins never mutate a packet; they emit new elements (ctx.out / ctx.deliver).

import { cloneElement } from '../xml/clone';
import type { Element } from '@xmpp/xml';
import type { StreamSession } from '../session';
import { parseJid, type Jid } from '../jid';
import { sessionView, type SessionView } from './router';
import type { Direction, PacketSource, StanzaKind } from '../../trace/events';

export interface Packet {
  /** 'p' + counter, unique within a sandbox run; links trace events. */
  readonly id: string;
  /** Frozen element tree (Object.freeze): cloneElement() (sandbox/xmpp/xml/clone.ts) before building on it. */
  readonly element: Element;
  readonly kind: StanzaKind;
  /** The `type` attribute or the RFC default: 'normal' (message), 'available' (presence); iq has no default. */
  readonly type: string;
  readonly from: Jid | null;
  readonly to: Jid | null;
  /** 'out' = on behalf of a local sender, 'in' = on behalf of the receiver. */
  readonly direction: Direction;
  readonly source: PacketSource;
  /** The c2s/component session the packet came from ('out' and component traffic), else null: its read-only view. */
  readonly session: SessionView | null;
  readonly parentId?: string;
  readonly producedBy?: string;
  /** Generations since the stanza entered (0 = from the wire); bounds routing loops. */
  readonly depth: number;
}

let counter = 0;
export function nextPacketId(): string {
  return 'p' + ++counter;
}

/** Recursively freeze an element tree (attrs, children); cheap enough for stanzas. */
export function deepFreeze(el: Element): Element {
  if (Object.isFrozen(el)) return el;
  Object.freeze(el.attrs);
  for (const c of el.children) if (typeof c === 'object') deepFreeze(c);
  Object.freeze(el.children);
  return Object.freeze(el);
}

export function isStanzaKind(name: string): name is StanzaKind {
  return name === 'message' || name === 'presence' || name === 'iq';
}

/** RFC 6120 §8.2.3 / RFC 6121 §4.7.1, §5.2.2: type defaults. */
export function stanzaType(el: Element): string {
  const t = el.attrs.type;
  if (t) return t;
  if (el.name === 'message') return 'normal';
  if (el.name === 'presence') return 'available';
  return '';
}

/** A JID attribute, parsed; throws JidError (jid-malformed) for a bad one. */
export function jidAttr(el: Element, name: 'to' | 'from'): Jid | null {
  const v = el.attrs[name];
  return v === undefined || v === '' ? null : parseJid(v);
}

export interface NewPacket {
  element: Element;
  direction: Direction;
  source: PacketSource;
  session?: StreamSession | null;
  parentId?: string;
  producedBy?: string;
  from?: Jid | null;
  to?: Jid | null;
  depth?: number;
}

/** Build and freeze a packet. `from`/`to` are parsed from the element unless given. */
export function makePacket(n: NewPacket): Packet {
  const el = deepFreeze(n.element);
  const p: Packet = {
    id: nextPacketId(),
    element: el,
    kind: el.name as StanzaKind,
    type: stanzaType(el),
    from: n.from !== undefined ? n.from : jidAttr(el, 'from'),
    to: n.to !== undefined ? n.to : jidAttr(el, 'to'),
    direction: n.direction,
    source: n.source,
    session: n.session ? sessionView(n.session) : null,
    parentId: n.parentId,
    producedBy: n.producedBy,
    depth: n.depth ?? 0,
  };
  return Object.freeze(p);
}

/** The first child element (its name and namespace show in the trace and drive matching). */
export function firstChild(el: Element): Element | undefined {
  for (const c of el.children) if (typeof c === 'object') return c;
  return undefined;
}

/** A shallow copy with changed attributes (children are cloned so the copy is independent). */
export function copyWithAttrs(el: Element, attrs: Record<string, string | undefined>): Element {
  const copy = cloneElement(el);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined) delete copy.attrs[k];
    else copy.attrs[k] = v;
  }
  return copy;
}
