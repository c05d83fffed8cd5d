// One c2s connection (TCP per RFC 6120, or WebSocket per RFC 7395): stream headers and
// restarts, SASL (RFC 6120 §6), resource binding (§7), XEP-0198 enable/ack/resume, and
// stanza hand-off to the session manager. Bad input ends only this stream, with a stream
// error (§4.9) and a log line.

import type { Element } from '@xmpp/xml';
import { SaslNegotiation, type SaslResult } from '../auth/sasl';
import { jid as makeJid } from '../jid';
import { BindError, type StreamErrorCondition } from '../session';
import { escapeAttr, escapeText, serializeTop } from '../xml/serialize';
import type { XmlStreamParser } from '../xml/parser';
import { C2sSession, type C2sCarrier } from './c2s-session';
import { boundFeaturesXml, saslFeaturesXml } from './c2s-features';
import type { ClosableStream, StreamContext } from './context';
import { NS_BIND, NS_CLIENT, NS_COMPONENT, NS_FRAMING, NS_SASL, NS_SERVER, NS_SESSION, NS_SM, NS_STANZAS, isStanzaName } from '../vocabulary';
import { streamErrorXml } from './stream-error';
import { StreamGuard } from './stream-guard';
import { c2sHeaderXml, checkC2sHeader, newStreamId } from './stream-header';
import type { Wire, WriteDone } from './wire';

// RFC 6120 §6.4.5: allow a reasonable number of retries, then close.
const MAX_AUTH_FAILURES = 3;
// On TCP the stream default namespace is jabber:client, so these are implied; WebSocket
// stanzas carry xmlns='jabber:client' explicitly (RFC 7395 §3.3.3).
const IMPLIED_TCP = [NS_CLIENT, NS_SERVER, NS_COMPONENT];
const IMPLIED_WS = [NS_SERVER, NS_COMPONENT];

type State = 'header' | 'auth' | 'authed' | 'bound' | 'closed';

export class C2sConnection implements C2sCarrier, ClosableStream {
  readonly transport: 'tcp' | 'websocket';
  private readonly framed: boolean;
  private readonly parser: XmlStreamParser;
  private session: C2sSession;
  private state: State = 'header';
  private headerSent = false;
  private username: string | null = null;
  private authFailures = 0;
  private readonly sasl: SaslNegotiation;
  private bindTimer: NodeJS.Timeout | null;
  private readonly guard: StreamGuard;

  constructor(private readonly wire: Wire, private readonly ctx: StreamContext) {
    this.transport = wire.transport;
    this.framed = wire.transport === 'websocket';
    this.session = new C2sSession(ctx.nextId(this.framed ? 'ws' : 'c2s'), this, ctx);
    ctx.sessions.add(this.session);
    ctx.connections.add(this);
    const x = ctx.config.xmpp;
    this.sasl = new SaslNegotiation(ctx.accounts, x.domain, x.allowAnonymous);
    this.guard = new StreamGuard(() => this.id, ctx.log, (condition, text) => this.close(condition, text));
    this.parser = this.guard.readWire(
      wire,
      { streamStart: (root) => this.onHeader(root), element: (el) => this.onElement(el), streamEnd: () => this.onClientClose() },
      { framed: this.framed, maxElementBytes: x.maxStanzaBytes },
    );
    wire.onClose(() => this.onWireClose());
    // The send limit (RFC 6120 §4.9.3.17) and the flow control of bulk delivery (docs/interop.md §3.6).
    wire.outboundLimit = x.maxOutboundBytes;
    wire.onDrain(() => {
      if (this.session.carrier === this) this.session.drained();
    });
    // A connection that has not bound (or resumed) within xmpp.preAuthTimeoutSec is dropped
    // (RFC 6120 §4.9.3.4): idle and slowloris streams hold no socket longer than that.
    this.bindTimer = setTimeout(() => this.bad('connection-timeout', `${this.username === null ? 'not authenticated' : 'not bound'} after ${x.preAuthTimeoutSec} s (xmpp.preAuthTimeoutSec)`), x.preAuthTimeoutSec * 1000);
    this.bindTimer.unref();
    ctx.log.debug(`${this.session.id}: connected from ${wire.remote}`);
  }

  private get id(): string {
    return this.session.id;
  }

  // ---- C2sCarrier -------------------------------------------------------------------

  writeStanza(el: Element, done?: WriteDone): void {
    this.wire.write(this.framed ? serializeTop(el, IMPLIED_WS, NS_CLIENT) : serializeTop(el, IMPLIED_TCP), done);
  }

  get backlog(): number {
    return this.wire.backlog;
  }

  get open(): boolean {
    return this.state !== 'closed' && this.wire.open;
  }

  writeNonza(xml: string): void {
    this.wire.write(xml);
  }

  /** Send a stream error (if any) and close the stream; the session ends (no resumption). */
  close(condition?: StreamErrorCondition, text?: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.parser.stop();
    this.clearBindTimer();
    if (!this.headerSent) this.writeHeader();
    if (condition) this.wire.write(streamErrorXml(condition, text, this.framed));
    this.wire.write(this.framed ? `<close xmlns='${NS_FRAMING}'/>` : '</stream:stream>');
    this.wire.end();
    this.ctx.connections.delete(this);
    if (this.session.carrier === this) this.session.end();
    else if (!this.session.bound) this.ctx.sessions.delete(this.session);
  }

  destroy(): void {
    this.wire.destroy();
  }

  // ---- input ------------------------------------------------------------------------

  private bad(condition: StreamErrorCondition, reason: string): void {
    this.guard.bad(condition, reason);
  }

  private clearBindTimer(): void {
    if (this.bindTimer) clearTimeout(this.bindTimer);
    this.bindTimer = null;
  }

  private onWireClose(): void {
    this.ctx.connections.delete(this);
    this.clearBindTimer();
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.parser.stop();
    const s = this.session;
    if (s.carrier !== this) return; // taken over by a resuming connection
    if (s.bound && s.sm === 'on' && s.resumable && !this.ctx.stopping) {
      this.ctx.log.info(`${s.id}: connection lost, XEP-0198 session detached`);
      s.detach();
    } else {
      s.end();
      if (!s.bound) this.ctx.sessions.delete(s);
    }
  }

  /** RFC 6120 §4.4: the client closed its stream; close ours, no resumption. */
  private onClientClose(): void {
    if (this.state === 'closed') return;
    this.close();
  }

  private writeHeader(): void {
    this.headerSent = true;
    this.wire.write(c2sHeaderXml(this.framed, newStreamId(), this.ctx.config.xmpp.domain));
  }

  /** RFC 6120 §4.2 / RFC 7395 §3.3.1: check the header, answer with ours and features. */
  private onHeader(root: Element): void {
    if (this.state !== 'header') return this.bad('bad-format', 'unexpected stream header');
    this.writeHeader();
    const problem = checkC2sHeader(root, this.framed, this.ctx.config.xmpp.domain);
    if (problem) return this.bad(problem.condition, problem.reason);
    if (this.username === null) {
      this.state = 'auth';
      this.wire.write(saslFeaturesXml(this.ctx.config.xmpp.allowAnonymous, this.framed));
    } else {
      this.state = 'authed';
      const extra = this.ctx.guard('streamFeatures', () => this.ctx.sm.streamFeatures(this.session), []);
      this.wire.write(boundFeaturesXml(extra, this.framed));
    }
  }

  private onElement(el: Element): void {
    if (this.framed) {
      if (el.name === 'open' && el.attrs.xmlns === NS_FRAMING) return this.onHeader(el);
      if (el.name === 'close' && el.attrs.xmlns === NS_FRAMING) return this.onClientClose();
      if (this.state === 'header') return this.bad('bad-format', `<${el.name}/> before <open/>`);
    }
    switch (this.state) {
      case 'auth':
        return this.onAuthElement(el);
      case 'authed':
        return this.onAuthedElement(el);
      case 'bound':
        return this.onBoundElement(el);
      default:
        return this.bad('bad-format', `<${el.name}/> before the stream restart`);
    }
  }

  // ---- SASL (RFC 6120 §6) -------------------------------------------------------------

  private onAuthElement(el: Element): void {
    const ns = el.attrs.xmlns;
    if (ns === NS_SASL && el.name === 'auth') return this.onSasl(this.sasl.start(el.attrs.mechanism ?? '', el.getText()));
    if (ns === NS_SASL && el.name === 'response') return this.onSasl(this.sasl.respond(el.getText()));
    if (ns === NS_SASL && el.name === 'abort') return this.onSasl(this.sasl.abort());
    // RFC 6120 §6.4.x, §4.9.3.12: nothing but SASL before authentication.
    this.bad('not-authorized', `<${el.name}/> before authentication`);
  }

  private onSasl(r: SaslResult): void {
    if (r.kind === 'challenge') {
      this.wire.write(`<challenge xmlns='${NS_SASL}'>${Buffer.from(r.data).toString('base64')}</challenge>`);
      return;
    }
    if (r.kind === 'failure') {
      this.authFailures++;
      this.ctx.log.warn(`${this.id}: authentication failed: ${r.reason}`);
      this.wire.write(`<failure xmlns='${NS_SASL}'><${r.condition}/></failure>`);
      if (r.condition !== 'aborted' && this.authFailures >= MAX_AUTH_FAILURES) this.close('not-authorized', 'too many failed authentication attempts');
      return;
    }
    this.username = r.username;
    this.ctx.log.info(`${this.id}: authenticated as ${r.username}@${this.ctx.config.xmpp.domain}`);
    this.wire.write(`<success xmlns='${NS_SASL}'>${r.data ? Buffer.from(r.data).toString('base64') : ''}</success>`);
    // RFC 6120 §6.4.6: the client restarts the stream; a new header (new id) follows.
    this.state = 'header';
    if (!this.framed) this.parser.reset();
  }

  // ---- after auth, before bind ---------------------------------------------------------

  private onAuthedElement(el: Element): void {
    if (el.name === 'iq' && this.isStanzaNs(el)) {
      const bind = el.getChild('bind', NS_BIND);
      if (bind && el.attrs.type === 'set') return this.onBind(el, bind);
      if (el.getChild('session', NS_SESSION)) return this.onSessionIq(el);
    }
    if (el.attrs.xmlns === NS_SM) {
      if (el.name === 'enable') return this.wire.write(smFailed('unexpected-request'));
      if (el.name === 'resume') return this.onResume(el);
      if (el.name === 'r' || el.name === 'a') return; // SM not enabled here: nothing to count
    }
    if (isStanzaName(el.name)) return this.bad('not-authorized', `<${el.name}/> before resource binding`);
    this.bad('unsupported-stanza-type', `<${el.name}/> before resource binding`);
  }

  /** RFC 6120 §7.6: bind a resource through the session manager. */
  private onBind(iq: Element, bind: Element): void {
    const requested = bind.getChildText('resource', NS_BIND) ?? bind.getChildText('resource') ?? null;
    const id = iq.attrs.id ?? '';
    try {
      const bare = makeJid(this.username!, this.ctx.config.xmpp.domain);
      const full = this.ctx.sm.bind(this.session, bare, requested && requested.trim() ? requested.trim() : null);
      this.session.jid = full;
      this.session.bound = true;
      this.state = 'bound';
      this.clearBindTimer();
      this.wire.write(`<iq type='result' id='${escapeAttr(id)}'${this.framed ? ` xmlns='${NS_CLIENT}'` : ''}><bind xmlns='${NS_BIND}'><jid>${escapeText(full.full)}</jid></bind></iq>`);
      this.ctx.log.info(`${this.id}: bound ${full.full}`);
    } catch (e) {
      const condition = e instanceof BindError ? e.condition : 'internal-server-error';
      const type = condition === 'conflict' || condition === 'not-allowed' ? 'cancel' : condition === 'resource-constraint' ? 'wait' : condition === 'internal-server-error' ? 'cancel' : 'modify';
      if (!(e instanceof BindError)) this.ctx.log.error(`${this.id}: bind failed`, e);
      else this.ctx.log.warn(`${this.id}: bind refused: ${e.message}`);
      this.wire.write(`<iq type='error' id='${escapeAttr(id)}'${this.framed ? ` xmlns='${NS_CLIENT}'` : ''}><error type='${type}'><${condition} xmlns='${NS_STANZAS}'/></error></iq>`);
    }
  }

  /** RFC 3921 §3 session establishment: advertised optional, still answered (docs/interop.md §1.3). */
  private onSessionIq(iq: Element): void {
    this.wire.write(`<iq type='result' id='${escapeAttr(iq.attrs.id ?? '')}'${this.framed ? ` xmlns='${NS_CLIENT}'` : ''}/>`);
  }

  /** XEP-0198 §5: resume a detached (or not yet noticed dead) session of the same user. */
  private onResume(el: Element): void {
    const prev = C2sSession.resumable(this.ctx, el.attrs.previd ?? '', this.username!);
    const h = Number(el.attrs.h);
    if (!prev || !Number.isInteger(h) || h < 0) {
      this.ctx.log.info(`${this.id}: XEP-0198 resume of '${el.attrs.previd ?? ''}' failed: unknown or expired`);
      return this.wire.write(smFailed('item-not-found'));
    }
    if (!prev.queue.ack(h)) {
      return this.bad('undefined-condition', `resume acknowledges ${h} stanzas, only ${prev.queue.sent} were sent`);
    }
    const old = prev.carrier;
    if (old instanceof C2sConnection) old.handOver();
    // This connection's own session was never bound: drop it and carry the old one.
    this.ctx.sessions.delete(this.session);
    this.session = prev;
    prev.attach(this);
    this.state = 'bound';
    this.clearBindTimer();
    this.wire.write(`<resumed xmlns='${NS_SM}' h='${prev.inbound}' previd='${escapeAttr(prev.smId!)}'/>`);
    const unacked = prev.queue.pending();
    for (const st of unacked) this.writeStanza(st);
    // Ask for an ack of the retransmitted stanzas right away (XEP-0198 §4).
    if (unacked.length) this.writeNonza(`<r xmlns='${NS_SM}'/>`);
    this.ctx.log.info(`${prev.id}: XEP-0198 session resumed (${prev.queue.length} stanzas retransmitted)`);
    this.ctx.guard('resumed', () => this.ctx.sm.resumed(prev), undefined);
  }

  /** Another connection resumed our session: go away quietly (XEP-0198 §5). */
  private handOver(): void {
    this.state = 'closed';
    this.clearBindTimer();
    this.parser.stop();
    this.ctx.connections.delete(this);
    this.wire.destroy();
  }

  // ---- bound ----------------------------------------------------------------------------

  private isStanzaNs(el: Element): boolean {
    const ns = el.attrs.xmlns;
    return ns === undefined || ns === NS_CLIENT;
  }

  private onBoundElement(el: Element): void {
    const s = this.session;
    if (isStanzaName(el.name)) {
      if (!this.isStanzaNs(el)) return this.bad('invalid-namespace', `<${el.name}/> in namespace '${el.attrs.xmlns}'`);
      if (s.sm === 'on') s.inbound = (s.inbound + 1) >>> 0;
      if (el.name === 'iq' && el.attrs.type === 'set' && el.getChild('session', NS_SESSION)) return this.onSessionIq(el);
      this.ctx.guard('receive', () => this.ctx.sm.receive(s, el), undefined);
      return;
    }
    if (el.attrs.xmlns === NS_SM) {
      switch (el.name) {
        case 'r':
          return this.wire.write(`<a xmlns='${NS_SM}' h='${s.inbound}'/>`);
        case 'a': {
          const h = Number(el.attrs.h);
          if (!Number.isInteger(h) || h < 0) return this.bad('bad-format', `bad <a h='${el.attrs.h ?? ''}'/>`);
          if (s.sm === 'on' && !s.queue.ack(h)) return this.bad('undefined-condition', `<a h='${h}'/> acknowledges more than the ${s.queue.sent} stanzas sent`);
          return;
        }
        case 'enable':
          return this.onEnable(el);
        case 'resume':
          return this.wire.write(smFailed('unexpected-request'));
      }
    }
    this.bad('unsupported-stanza-type', `unexpected <${el.name}/> (${el.attrs.xmlns ?? 'no namespace'})`);
  }

  /** XEP-0198 §3: enable; h counts from here (inbound) and from <enabled/> (outbound). */
  private onEnable(el: Element): void {
    if (this.session.sm !== 'off') return this.wire.write(smFailed('unexpected-request'));
    this.wire.write(this.session.enable(el.attrs.resume === 'true' || el.attrs.resume === '1'));
  }
}

function smFailed(condition: string): string {
  return `<failed xmlns='${NS_SM}'><${condition} xmlns='${NS_STANZAS}'/></failed>`;
}
