// A tiny leveled logger. Sinks receive every line at or above the level; the sandbox
// wires one to stderr (CLI) and one to the control API's 'log' events (extension).

export type LogLevel = 'error' | 'warn' | 'info' | 'debug';
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export type LogSink = (level: LogLevel, message: string, ts: number) => void;

export interface Logger {
  error(msg: string, err?: unknown): void;
  warn(msg: string, err?: unknown): void;
  info(msg: string): void;
  debug(msg: string): void;
  /** A logger whose lines start with `[scope]`. */
  child(scope: string): Logger;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack || err.message;
  return String(err);
}

export class LogHub {
  private readonly sinks = new Set<LogSink>();
  constructor(public level: LogLevel = 'info') {}

  addSink(sink: LogSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  write(level: LogLevel, message: string): void {
    if (RANK[level] > RANK[this.level]) return;
    const ts = Date.now();
    for (const s of this.sinks) {
      try {
        s(level, message, ts);
      } catch {
        // never let a sink break the caller
      }
    }
  }

  logger(scope = ''): Logger {
    const prefix = scope ? `[${scope}] ` : '';
    const hub = this;
    return {
      error: (m, e) => hub.write('error', prefix + m + (e === undefined ? '' : `: ${describe(e)}`)),
      warn: (m, e) => hub.write('warn', prefix + m + (e === undefined ? '' : `: ${describe(e)}`)),
      info: (m) => hub.write('info', prefix + m),
      debug: (m) => hub.write('debug', prefix + m),
      child: (s) => hub.logger(scope ? `${scope}:${s}` : s),
    };
  }
}

/** A logger that drops everything (tests that do not care). */
export const silentLogger: Logger = {
  error() {},
  warn() {},
  info() {},
  debug() {},
  child: () => silentLogger,
};
