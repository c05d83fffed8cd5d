import type * as vscode from 'vscode';

// The child's log sink writes `<ISO time> <level> <message>` (sandbox/control/ipc-child.ts); the
// channel adds its own time, so keep the level and the message.
const LINE = /^\d{4}-\d\d-\d\dT[\d:.]+Z (error|warn|info|debug)\s+(.*)$/s;

export function writeChildLine(log: vscode.LogOutputChannel, line: string): void {
  const m = LINE.exec(line);
  if (!m) return log.info(line);
  const [, level, message] = m;
  if (level === 'error') log.error(message);
  else if (level === 'warn') log.warn(message);
  else if (level === 'debug') log.debug(message);
  else log.info(message);
}

/**
 * The last error (else warning) among the child's last lines, without its time and level: the
 * one line worth putting in a notification. Lines that are not the child's log format (an
 * uncaught exception on stderr) count as errors. Undefined when all were info/debug.
 */
export function lastProblemLine(lines: readonly string[]): string | undefined {
  let warning: string | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    // Node's report of an uncaught exception ends with stack frames and its version: the
    // line worth showing is the "Error: …" above them.
    if (!line || /^at\s/.test(line) || /^Node\.js v\d/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) return line;
    if (m[1] === 'error') return m[2]!.trim();
    if (m[1] === 'warn') warning ??= m[2]!.trim();
  }
  return warning;
}
