// A streaming, restricted XML parser for XMPP streams (RFC 6120 §11). It builds @xmpp/xml
// Element trees, one per top-level element, and reports what RFC 6120 §11.1 forbids
// instead of skipping it the way ltx does (docs/interop.md §7): DTDs, entity declarations,
// comments and processing instructions → restricted-xml; undeclared entities, bad names,
// mismatched tags, illegal characters → not-well-formed; a top-level element larger than
// `maxElementBytes` (counted as bytes arrive; the unparsed tail is bounded by the same
// limit) → policy-violation.
//
// Two modes: 'stream' (TCP, XEP-0114: one <stream:stream> root whose children are the
// elements) and 'framed' (RFC 7395 WebSocket: every top-level element is an element).

import { Element } from '@xmpp/xml';
import { utf8ByteLength } from './utf8';

export type XmlErrorCondition = 'not-well-formed' | 'restricted-xml' | 'policy-violation' | 'bad-format';

export interface XmlStreamHandler {
  /** 'stream' mode: the root (e.g. <stream:stream>) start tag; its children follow as elements. */
  streamStart(root: Element): void;
  /** A complete top-level element (stream mode: a child of the root). */
  element(el: Element): void;
  /** 'stream' mode: the root's end tag. */
  streamEnd(): void;
  /**
   * Called once; the parser then ignores further input. `offset`: where the offending text or
   * markup begins, in UTF-16 code units from the start of all input written.
   */
  error(condition: XmlErrorCondition, reason: string, offset: number): void;
}

export interface XmlStreamParserOptions {
  framed: boolean;
  maxElementBytes: number;
}

class ParseError extends Error {
  constructor(readonly condition: XmlErrorCondition, message: string) {
    super(message);
  }
}

// XML 1.0 §2.2 Char, minus what JavaScript strings cannot carry unpaired.
const ILLEGAL_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
// XML 1.0 §2.3 Name (simplified: ASCII rules plus any non-ASCII letter-ish code unit).
const NAME = /^[A-Za-z_\u00C0-\uFFFD][A-Za-z0-9_.\-\u00B7-\uFFFD]*(?::[A-Za-z_\u00C0-\uFFFD][A-Za-z0-9_.\-\u00B7-\uFFFD]*)?$/;
const ENTITY = /&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z_:][A-Za-z0-9_.:-]*)?(;?)/g;
const PREDEFINED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const NOT_WHITESPACE = /[^ \t\r\n]/;
// Nesting this deep is no real payload, and recursive consumers (serialisers, ltx
// helpers) would run out of stack on it.
const MAX_DEPTH = 256;

function decodeEntities(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY, (_m, ref: string | undefined, semi: string) => {
    if (!ref || !semi) throw new ParseError('not-well-formed', "'&' not starting an entity or character reference");
    if (ref.charCodeAt(0) === 35 /* # */) {
      const n = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      const ok = n === 0x9 || n === 0xa || n === 0xd || (n >= 0x20 && n <= 0xd7ff) || (n >= 0xe000 && n <= 0xfffd) || (n >= 0x10000 && n <= 0x10ffff);
      if (!ok) throw new ParseError('not-well-formed', `character reference &${ref}; is not an XML character`);
      return String.fromCodePoint(n);
    }
    const v = PREDEFINED[ref];
    // RFC 6120 §11.1: only the five predefined entities exist on an XMPP stream.
    if (v === undefined) throw new ParseError('not-well-formed', `undeclared entity &${ref};`);
    return v;
  });
}

/** What the incomplete token at the start of the buffer needs before parsing it again can make progress. */
type Wait = null | 'text' | 'end-tag' | 'pi' | 'cdata' | 'start-tag';

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

export class XmlStreamParser {
  // A web API (Node has it too), so the parser also runs in the webview. ignoreBOM keeps a
  // byte order mark in the text, as Node's StringDecoder did.
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private buf = '';
  private pos = 0;
  private root: Element | null = null;
  private readonly stack: Element[] = [];
  private declAllowed: boolean;
  private stopped = false;
  /** Index in buf where the current top-level element began, -1 when outside one. */
  private elStart = -1;
  /** Bytes of the current top-level element already consumed from earlier chunks. */
  private elCarryBytes = 0;
  /** UTF-16 code units of input dropped from the front of buf so far. */
  private consumed = 0;
  /** Index in buf where the text or markup being parsed begins (the error offset). */
  private mark = 0;
  // A large token dribbled in small chunks (text, a start tag with many attributes) would be
  // re-joined and re-scanned from its start on every chunk: quadratic time. Instead, chunks that
  // cannot end the token wait in `pending` (armWait/mayEnd), so each byte is scanned a bounded
  // number of times.
  private wait: Wait = null;
  /** 'start-tag': the quote (34, 39) the scan is inside, or 0. */
  private quote = 0;
  /** 'pi', 'cdata': the last two characters seen, for a '?>' or ']]>' split across chunks. */
  private tail2 = '';
  private pending: string[] = [];
  private pendingBytes = 0;
  /** UTF-8 bytes of buf while waiting. */
  private restBytes = 0;

  constructor(private readonly handler: XmlStreamHandler, private readonly opts: XmlStreamParserOptions) {
    this.declAllowed = !opts.framed;
  }

  /** RFC 6120 §4.3.3: a stream restart; the next input is a new XML declaration/header. */
  reset(): void {
    this.root = null;
    this.stack.length = 0;
    this.declAllowed = !this.opts.framed;
    this.elStart = -1;
    this.elCarryBytes = 0;
  }

  /** Ignore all further input. */
  stop(): void {
    this.stopped = true;
    this.buf = '';
    this.pos = 0;
    this.wait = null;
    this.pending = [];
  }

  /** True when no element is open and no input waits for more (e.g. a tag cut in half). */
  get idle(): boolean {
    return this.stack.length === 0 && this.pos >= this.buf.length;
  }

  write(chunk: Uint8Array | string): void {
    if (this.stopped) return;
    let s = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.wait !== null) {
      if (!this.mayEnd(s)) {
        this.pending.push(s);
        this.pendingBytes += utf8ByteLength(s);
        const max = this.opts.maxElementBytes;
        // compact()'s bound on the unparsed tail, for the tail plus what waits.
        if ((this.elStart >= 0 ? this.elCarryBytes : 0) + this.restBytes + this.pendingBytes > max) this.fail('policy-violation', `element larger than ${max} bytes`);
        return;
      }
      this.wait = null;
      if (this.pending.length > 0) {
        s = this.pending.join('') + s;
        this.pending = [];
        this.pendingBytes = 0;
      }
    }
    this.buf = this.pos < this.buf.length ? this.buf.slice(this.pos) + s : s;
    this.pos = 0;
    if (this.elStart > 0) this.elStart = 0;
    try {
      this.parse();
      if (this.stopped) return;
      this.compact();
    } catch (e) {
      if (e instanceof ParseError) this.fail(e.condition, e.message);
      else throw e;
    }
  }

  private fail(condition: XmlErrorCondition, reason: string): void {
    if (this.stopped) return;
    const offset = this.consumed + this.mark;
    this.stop();
    this.handler.error(condition, reason, offset);
  }

  private get depth(): number {
    return this.stack.length;
  }

  /** Keep only the unparsed tail, and bound it (and the element it belongs to) by the size limit. */
  private compact(): void {
    const max = this.opts.maxElementBytes;
    if (this.elStart >= 0) {
      this.elCarryBytes += utf8ByteLength(this.buf.slice(this.elStart, this.pos));
      this.elStart = 0;
    }
    const rest = this.pos < this.buf.length ? this.buf.slice(this.pos) : '';
    this.consumed += this.buf.length - rest.length;
    this.buf = rest;
    this.pos = 0;
    this.mark = 0;
    const carry = this.elStart >= 0 ? this.elCarryBytes : 0;
    if (carry + rest.length * 3 > max && carry + utf8ByteLength(rest) > max) {
      throw new ParseError('policy-violation', `element larger than ${max} bytes`);
    }
    this.armWait();
  }

  /** After compact(): what the incomplete token at the start of buf waits for (short ones: nothing, they are parsed again). */
  private armWait(): void {
    const b = this.buf;
    this.wait = null;
    if (b.length < 2) return;
    const c1 = b.charCodeAt(1);
    if (b.charCodeAt(0) !== 60 /* < */) this.wait = 'text';
    else if (c1 === 47 /* / */) this.wait = 'end-tag';
    else if (c1 === 63 /* ? */) this.wait = 'pi';
    else if (c1 === 33 /* ! */) this.wait = b.startsWith('<![CDATA[') ? 'cdata' : null;
    else {
      this.wait = 'start-tag';
      let q = 0;
      for (let i = 1; i < b.length; i++) {
        const c = b.charCodeAt(i);
        if (q !== 0) {
          if (c === q) q = 0;
        } else if (c === 34 || c === 39) q = c;
      }
      this.quote = q;
    }
    if (this.wait !== null) {
      this.restBytes = utf8ByteLength(b);
      this.tail2 = b.slice(-2);
    }
  }

  /** Could `s` end the token being waited for (or show an error in it)? Updates the scan state when not. */
  private mayEnd(s: string): boolean {
    switch (this.wait) {
      case 'text':
        return s.indexOf('<') !== -1;
      case 'end-tag':
        return s.indexOf('>') !== -1;
      case 'pi':
      case 'cdata': {
        const t = this.tail2 + s;
        this.tail2 = t.slice(-2);
        return t.indexOf(this.wait === 'pi' ? '?>' : ']]>') !== -1;
      }
      case 'start-tag': {
        // findTagEnd's scan: '>' ends the tag, '<' outside quotes is an error.
        let q = this.quote;
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (q !== 0) {
            if (c === q) q = 0;
          } else if (c === 62 || c === 60) return true;
          else if (c === 34 || c === 39) q = c;
        }
        this.quote = q;
        return false;
      }
      default:
        return true;
    }
  }

  private parse(): void {
    const buf = this.buf;
    const len = buf.length;
    while (!this.stopped) {
      const pos = this.pos;
      if (pos >= len) return;
      this.mark = pos;
      const lt = buf.indexOf('<', pos);
      if (lt === -1) {
        // Text without its end yet: inside an element it waits for the next '<' (bounded by
        // compact()); between elements only whitespace is allowed.
        if (this.depth === 0) {
          this.outsideText(buf.slice(pos));
          this.pos = len;
        }
        return;
      }
      if (lt > pos) {
        const text = buf.slice(pos, lt);
        if (this.depth === 0) this.outsideText(text);
        else this.appendText(decodeEntities(text), text);
        this.pos = lt;
      }
      this.mark = lt;
      if (lt + 1 >= len) return;
      const c = buf.charCodeAt(lt + 1);
      if (c === 47 /* / */) {
        const gt = buf.indexOf('>', lt + 2);
        if (gt === -1) return;
        this.pos = gt + 1;
        this.endTag(buf.slice(lt + 2, gt).trimEnd(), gt + 1);
      } else if (c === 63 /* ? */) {
        // RFC 6120 §11.1: no processing instructions; only the XML declaration at the start.
        if (!this.declAllowed) throw new ParseError('restricted-xml', 'processing instruction');
        const end = buf.indexOf('?>', lt + 2);
        if (end === -1) return;
        const target = /^xml(?=\s|$)/.test(buf.slice(lt + 2, end));
        if (!target) throw new ParseError('restricted-xml', 'processing instruction');
        this.declAllowed = false;
        this.pos = end + 2;
      } else if (c === 33 /* ! */) {
        if (lt + 2 >= len) return;
        const c2 = buf.charCodeAt(lt + 2);
        if (c2 === 45 /* - */) throw new ParseError('restricted-xml', 'comment');
        if (c2 === 91 /* [ */) {
          if (lt + 9 > len) return;
          if (!buf.startsWith('<![CDATA[', lt) || this.depth === 0) throw new ParseError('not-well-formed', "bad '<![' markup");
          const end = buf.indexOf(']]>', lt + 9);
          if (end === -1) return;
          const raw = buf.slice(lt + 9, end);
          this.appendText(raw, raw);
          this.pos = end + 3;
        } else {
          const head = buf.slice(lt + 2, lt + 12);
          const word = /^[A-Za-z]*/.exec(head)![0];
          // The word may go on in the next chunk: wait until it ends (or is 10 letters long), so
          // the reason reads the same however the input was split.
          if (word.length === head.length && head.length < 10) return;
          throw new ParseError('restricted-xml', word ? `<!${word}> declaration` : "'<!' markup");
        }
      } else {
        const gt = this.findTagEnd(buf, lt + 1);
        if (gt === -1) return;
        this.pos = gt + 1;
        this.startTag(buf, lt, gt);
      }
    }
  }

  /** `text` starts at `mark`; an error points at its first non-whitespace character, whatever the chunking. */
  private outsideText(text: string): void {
    const bad = text.search(NOT_WHITESPACE);
    if (bad !== -1) {
      this.mark += bad;
      throw new ParseError('not-well-formed', 'text outside of any element');
    }
  }

  private appendText(text: string, raw: string): void {
    if (ILLEGAL_CHAR.test(raw)) throw new ParseError('not-well-formed', 'illegal XML character');
    if (text.length === 0) return;
    const top = this.stack[this.stack.length - 1];
    const kids = top.children;
    const last = kids.length - 1;
    if (last >= 0 && typeof kids[last] === 'string') kids[last] = (kids[last] as string) + text;
    else kids.push(text);
  }

  /** Index of the '>' closing a start tag (outside attribute quotes), or -1 if not yet here. */
  private findTagEnd(buf: string, from: number): number {
    let i = from;
    const len = buf.length;
    while (i < len) {
      const c = buf.charCodeAt(i);
      if (c === 62 /* > */) return i;
      if (c === 34 || c === 39) {
        const close = buf.indexOf(c === 34 ? '"' : "'", i + 1);
        if (close === -1) return -1;
        i = close + 1;
      } else if (c === 60 /* < */) {
        throw new ParseError('not-well-formed', "'<' inside a tag");
      } else i++;
    }
    return -1;
  }

  private startTag(buf: string, lt: number, gt: number): void {
    let end = gt;
    const selfClosing = buf.charCodeAt(gt - 1) === 47;
    if (selfClosing) end--;
    let i = lt + 1;
    while (i < end && !isSpace(buf.charCodeAt(i))) i++;
    const name = buf.slice(lt + 1, i);
    if (!NAME.test(name)) throw new ParseError('not-well-formed', `bad element name '${name.slice(0, 40)}'`);
    const attrs: Record<string, string> = {};
    let prefixed = name.indexOf(':') !== -1;
    while (i < end) {
      const ws = i;
      while (i < end && isSpace(buf.charCodeAt(i))) i++;
      if (i >= end) break;
      if (i === ws) throw new ParseError('not-well-formed', 'attributes must be separated by whitespace');
      const nameStart = i;
      while (i < end) {
        const c = buf.charCodeAt(i);
        if (c === 61 /* = */ || isSpace(c)) break;
        i++;
      }
      const attr = buf.slice(nameStart, i);
      while (i < end && isSpace(buf.charCodeAt(i))) i++;
      if (buf.charCodeAt(i) !== 61 || !NAME.test(attr)) throw new ParseError('not-well-formed', `bad attribute '${attr.slice(0, 40)}'`);
      i++;
      while (i < end && isSpace(buf.charCodeAt(i))) i++;
      const q = buf.charCodeAt(i);
      if (q !== 34 && q !== 39) throw new ParseError('not-well-formed', `attribute '${attr}' value is not quoted`);
      const close = buf.indexOf(q === 34 ? '"' : "'", i + 1);
      if (close === -1 || close >= gt) throw new ParseError('not-well-formed', `attribute '${attr}' value is not closed`);
      const raw = buf.slice(i + 1, close);
      if (raw.indexOf('<') !== -1) throw new ParseError('not-well-formed', `'<' in attribute '${attr}'`);
      if (ILLEGAL_CHAR.test(raw)) throw new ParseError('not-well-formed', 'illegal XML character');
      if (Object.prototype.hasOwnProperty.call(attrs, attr)) throw new ParseError('not-well-formed', `duplicate attribute '${attr}'`);
      attrs[attr] = decodeEntities(raw);
      if (!prefixed && attr.indexOf(':') !== -1 && !attr.startsWith('xmlns:')) prefixed = true;
      i = close + 1;
      if (i < end && !isSpace(buf.charCodeAt(i))) throw new ParseError('not-well-formed', 'attributes must be separated by whitespace');
    }
    const el = new Element(name);
    el.attrs = attrs;
    if (prefixed) this.checkPrefixes(el);

    if (!this.opts.framed && !this.root) {
      // The stream header (RFC 6120 §4.2).
      this.root = el;
      this.declAllowed = false;
      this.handler.streamStart(el);
      if (selfClosing && !this.stopped) this.handler.streamEnd();
      return;
    }
    this.declAllowed = false;
    const parent = this.stack.length ? this.stack[this.stack.length - 1] : null;
    if (parent) {
      el.parent = parent;
      parent.children.push(el);
    } else {
      // Like @xmpp/xml's Parser: a stanza's parent is the stream root, so getNS() resolves
      // the stream's default namespace; it is not added to the root's children.
      el.parent = this.root;
      this.elStart = lt;
      this.elCarryBytes = 0;
    }
    if (selfClosing) {
      if (!parent) this.complete(el, gt + 1);
    } else {
      if (this.stack.length >= MAX_DEPTH) throw new ParseError('policy-violation', `elements nested deeper than ${MAX_DEPTH}`);
      this.stack.push(el);
    }
  }

  private endTag(name: string, after: number): void {
    const top = this.stack.pop();
    if (!top) {
      if (this.root && name === this.root.name) {
        this.handler.streamEnd();
        return;
      }
      throw new ParseError('not-well-formed', `unexpected end tag </${name.slice(0, 40)}>`);
    }
    if (top.name !== name) throw new ParseError('not-well-formed', `<${top.name}> closed by </${name.slice(0, 40)}>`);
    if (this.stack.length === 0) this.complete(top, after);
  }

  private complete(el: Element, after: number): void {
    const max = this.opts.maxElementBytes;
    const chars = after - this.elStart;
    let bytes = this.elCarryBytes + chars;
    if (this.elCarryBytes + chars * 3 > max) bytes = this.elCarryBytes + utf8ByteLength(this.buf.slice(this.elStart, after));
    this.elStart = -1;
    this.elCarryBytes = 0;
    if (bytes > max) throw new ParseError('policy-violation', `element <${el.name}> is ${bytes} bytes, limit ${max}`);
    this.handler.element(el);
  }

  /** Namespaces in XML §5: every prefix used must be declared (xml: is implicit). */
  private checkPrefixes(el: Element): void {
    const used: string[] = [];
    const colon = el.name.indexOf(':');
    if (colon !== -1) used.push(el.name.slice(0, colon));
    for (const a of Object.keys(el.attrs)) {
      const c = a.indexOf(':');
      if (c !== -1 && !a.startsWith('xmlns:')) used.push(a.slice(0, c));
    }
    for (const p of used) {
      if (p === 'xml' || p === 'xmlns') continue;
      const key = 'xmlns:' + p;
      let found = el.attrs[key] !== undefined;
      for (let k = this.stack.length - 1; !found && k >= 0; k--) found = this.stack[k].attrs[key] !== undefined;
      if (!found && this.root) found = this.root.attrs[key] !== undefined;
      if (!found) throw new ParseError('not-well-formed', `undeclared namespace prefix '${p}'`);
    }
  }
}
