// XEP-0114 component stream (jabber:component:accept), as @xmpp/component 0.13.1 speaks it
// (docs/interop.md §2): header `to` = a configured component domain, no stream features,
// <handshake>hex(SHA1(streamId + secret))</handshake> → <handshake/>, then stanzas whose
// `from` must be in the component's domain.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import { parseJid, tryParseJid, type Jid } from '../jid';
import type { StreamErrorCondition } from '../session';
import { escapeAttr, serializeTop } from '../xml/serialize';
import type { XmlStreamParser } from '../xml/parser';
import type { ClosableStream, EndableSession, StreamContext } from './context';
import { NS_CLIENT, NS_COMPONENT, NS_SERVER, NS_STREAMS, isStanzaName } from '../vocabulary';
import { streamErrorXml } from './stream-error';
import { StreamGuard } from './stream-guard';
import type { Wire } from './wire';

// Stanzas to a component are written in its stream's default namespace (XEP-0114 §3).
const IMPLIED = [NS_CLIENT, NS_SERVER, NS_COMPONENT];

type State = 'header' | 'handshake' | 'up' | 'closed';
// A component that has not completed the handshake by then is dropped.
const HANDSHAKE_TIMEOUT_MS = 60_000;

export class ComponentConnection implements EndableSession, ClosableStream {
  readonly kind = 'component' as const;
  readonly transport = 'component' as const;
  readonly id: string;
  readonly connectedAt = Date.now();
  readonly sm = 'off' as const;
  jid: Jid | null = null;
  private state: State = 'header';
  private headerSent = false;
  private streamId = '';
  private secret = '';
  /** componentUp() returned true: the session manager must hear `ended`. */
  private up = false;
  private ended = false;
  private readonly parser: XmlStreamParser;
  /** Stanzas the session manager sends from inside componentUp(), written after <handshake/>. */
  private heldUntilHandshake: string[] | null = null;
  private readonly guard: StreamGuard;

  constructor(private readonly wire: Wire, private readonly ctx: StreamContext) {
    this.id = ctx.nextId('comp');
    ctx.sessions.add(this);
    ctx.connections.add(this);
    this.guard = new StreamGuard(() => this.id, ctx.log, (condition, text) => this.close(condition, text));
    this.parser = this.guard.readWire(
      wire,
      { streamStart: (root) => this.onHeader(root), element: (el) => this.onElement(el), streamEnd: () => this.close() },
      { framed: false, maxElementBytes: ctx.config.xmpp.maxStanzaBytes },
    );
    wire.onClose(() => this.onWireClose());
    wire.outboundLimit = ctx.config.xmpp.maxOutboundBytes; // the send limit (RFC 6120 §4.9.3.17)
    const timer = setTimeout(() => {
      if (this.state === 'header' || this.state === 'handshake') this.bad('connection-timeout', `no handshake after ${HANDSHAKE_TIMEOUT_MS / 1000} s`);
    }, HANDSHAKE_TIMEOUT_MS);
    timer.unref();
    wire.onClose(() => clearTimeout(timer));
  }

  send(stanza: Element): boolean {
    if (this.state !== 'up') return false;
    const xml = serializeTop(stanza, IMPLIED);
    if (this.heldUntilHandshake) this.heldUntilHandshake.push(xml);
    else this.wire.write(xml);
    return true;
  }

  close(condition?: StreamErrorCondition, text?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.parser.stop();
    if (!this.headerSent) this.writeHeader(this.ctx.config.xmpp.domain);
    if (condition) this.wire.write(streamErrorXml(condition, text, false));
    this.wire.write('</stream:stream>');
    this.wire.end();
    this.end();
  }

  destroy(): void {
    this.wire.destroy();
  }

  endDetached(): void {
    this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.ctx.sessions.delete(this);
    this.ctx.connections.delete(this);
    if (this.up) this.ctx.guard('ended', () => this.ctx.sm.ended(this, []), undefined);
  }

  private onWireClose(): void {
    this.state = 'closed';
    this.parser.stop();
    this.end();
  }

  private bad(condition: StreamErrorCondition, reason: string): void {
    this.guard.bad(condition, reason);
  }

  private writeHeader(from: string): void {
    this.headerSent = true;
    this.streamId = randomBytes(8).toString('hex');
    this.wire.write(`<?xml version='1.0'?><stream:stream xmlns:stream='${NS_STREAMS}' xmlns='${NS_COMPONENT}' from='${escapeAttr(from)}' id='${this.streamId}'>`);
  }

  /** XEP-0114 §2: check the header; header-level errors still get a header first. */
  private onHeader(root: Element): void {
    if (this.state !== 'header') return this.bad('bad-format', 'second stream header');
    const to = (root.attrs.to ?? '').toLowerCase();
    this.writeHeader(to || this.ctx.config.xmpp.domain);
    if (root.name !== 'stream:stream' || root.attrs['xmlns:stream'] !== NS_STREAMS || root.attrs.xmlns !== NS_COMPONENT) {
      return this.bad('invalid-namespace', `component stream namespace '${root.attrs.xmlns ?? ''}' is not ${NS_COMPONENT}`);
    }
    const secret = to ? this.ctx.accounts.componentSecret(to) : undefined;
    if (!to || secret === undefined) return this.bad('host-unknown', `no component '${to}' is configured`);
    for (const s of this.ctx.sessions) {
      if (s !== this && s instanceof ComponentConnection && s.state === 'up' && s.jid?.domain === to) {
        return this.bad('conflict', `component '${to}' is already connected`);
      }
    }
    this.jid = parseJid(to);
    this.secret = secret;
    this.state = 'handshake';
  }

  private onElement(el: Element): void {
    if (this.state === 'handshake') return this.onHandshake(el);
    if (this.state !== 'up') return;
    if (!isStanzaName(el.name)) return this.bad('unsupported-stanza-type', `unexpected <${el.name}/>`);
    const ns = el.attrs.xmlns;
    if (ns !== undefined && ns !== NS_COMPONENT && ns !== NS_CLIENT) return this.bad('invalid-namespace', `<${el.name}/> in namespace '${ns}'`);
    // XEP-0114 §3: every stanza has `to` and `from`, and `from` is in the component's domain.
    const from = el.attrs.from;
    const to = el.attrs.to;
    if (!from || !to) return this.bad('improper-addressing', `<${el.name}/> without ${from ? 'to' : 'from'}`);
    const fromJid = tryParseJid(from);
    if (!fromJid || fromJid.domain !== this.jid!.domain) return this.bad('invalid-from', `from '${from}' is not in ${this.jid!.domain}`);
    if (!tryParseJid(to)) return this.bad('improper-addressing', `to '${to}' is not a JID`);
    this.ctx.guard('receive', () => this.ctx.sm.receive(this, el), undefined);
  }

  private onHandshake(el: Element): void {
    if (el.name !== 'handshake') return this.bad('not-authorized', `<${el.name}/> before the handshake`);
    // @xmpp/component hashes id + secret as latin1 (docs/interop.md §2); secrets are ASCII.
    const expected = createHash('sha1').update(this.streamId + this.secret, 'latin1').digest('hex');
    const got = el.getText().trim().toLowerCase();
    if (got.length !== expected.length || !timingSafeEqual(Buffer.from(got), Buffer.from(expected))) {
      return this.bad('not-authorized', `bad handshake for ${this.jid!.domain}`);
    }
    this.state = 'up';
    this.heldUntilHandshake = [];
    const accepted = this.ctx.guard('componentUp', () => this.ctx.sm.componentUp(this), false);
    const held = this.heldUntilHandshake;
    this.heldUntilHandshake = null;
    if (!accepted) return this.bad('conflict', `component '${this.jid!.domain}' is already connected`);
    this.up = true;
    this.wire.write('<handshake/>');
    for (const xml of held) this.wire.write(xml);
    this.ctx.log.info(`${this.id}: component ${this.jid!.domain} connected`);
  }
}
