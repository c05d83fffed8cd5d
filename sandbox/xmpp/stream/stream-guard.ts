// How a c2s stream (RFC 6120, RFC 7395) and a component stream (XEP-0114) end on bad input:
// stream errors are unrecoverable (RFC 6120 §4.9.1.1), so the peer's mistake ends only that
// stream, with the condition and a log line; an exception in our own handling of its input
// ends it with <internal-server-error/> (§4.9.3.8) and logs the stack. Both connection classes
// read their wire through this one guard.

import type { Logger } from '../../log';
import type { StreamErrorCondition } from '../vocabulary';
import { XmlStreamParser, type XmlStreamHandler, type XmlStreamParserOptions } from '../xml/parser';
import type { Wire } from './wire';

export class StreamGuard {
  /**
   * @param id the connection's session id, read when a line is logged
   * @param close sends the stream error and closes the stream (the connection's own close())
   */
  constructor(
    private readonly id: () => string,
    private readonly log: Logger,
    private readonly close: (condition: StreamErrorCondition, text?: string) => void,
  ) {}

  /**
   * Parses what arrives on `wire`. The handlers run guarded (run()); malformed or restricted XML
   * (RFC 6120 §11.1) and a peer that stops reading (<resource-constraint/>, §4.9.3.17) end the
   * stream through bad().
   */
  readWire(wire: Wire, handlers: Omit<XmlStreamHandler, 'error'>, opts: XmlStreamParserOptions): XmlStreamParser {
    const parser = new XmlStreamParser(
      {
        streamStart: (root) => this.run(() => handlers.streamStart(root)),
        element: (el) => this.run(() => handlers.element(el)),
        streamEnd: () => this.run(() => handlers.streamEnd()),
        error: (condition, reason) => this.bad(condition, reason),
      },
      opts,
    );
    wire.onData((d) => parser.write(d));
    wire.onOverflow(() => this.bad('resource-constraint', 'peer is not reading: outbound buffer limit reached'));
    return parser;
  }

  /** Runs one input handler; if it throws, the stream ends with <internal-server-error/>. */
  private run(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error(`${this.id()}: internal error`, e);
      this.close('internal-server-error');
    }
  }

  /** The peer broke the protocol: log why and end the stream with `condition`, the reason as its <text/>. */
  bad(condition: StreamErrorCondition, reason: string): void {
    this.log.warn(`${this.id()}: ${reason} → <${condition}/>`);
    this.close(condition, reason);
  }
}
