// What a scenario run looks like to people (the CLI's output) and to CI (JUnit XML: one
// testcase per script, the format Jenkins, GitLab and GitHub's test reporters read).

import { escapeAttr, escapeText } from '../xmpp/xml/serialize';
import type { ScenarioResult, StepResult } from './engine';

const MARK = { pass: '✓', fail: '✗', skip: '-' } as const;

const indent = (text: string, by: string) =>
  text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

/** The line a scenario starts with: its file and title. */
export function scenarioTitle(file: string, title?: string): string {
  return `${file}${title ? ` — ${title}` : ''}\n`;
}

const steps = (n: number) => `${n} step${n === 1 ? '' : 's'}`;

/** The line a scenario ends with: passed (the steps run, and those not run: --until-line), failed (why) or skipped (why). */
export function scenarioEnd(r: ScenarioResult): string {
  if (r.status === 'pass') {
    const notRun = r.steps.filter((s) => s.status === 'skip').length;
    return `  ${MARK.pass} passed (${steps(r.steps.length - notRun)}${notRun ? `, ${notRun} not run` : ''}, ${r.durationMs} ms)\n`;
  }
  if (r.status === 'skip') return `  ${MARK.skip} skipped: ${r.reason}\n`;
  return `  ${MARK.fail} failed: ${r.reason}\n`;
}

/** One step: `  ✓ 12  Romeo sends:`; a failed step adds its reason, diff and what was received. */
export function stepLine(s: StepResult): string {
  let out = `  ${MARK[s.status]} ${String(s.line).padStart(3)}  ${s.text}${s.status === 'pass' && s.durationMs >= 100 ? `  (${s.durationMs} ms)` : ''}\n`;
  if (s.status !== 'fail') return out;
  out += indent(s.message ?? 'failed', '        ') + '\n';
  if (s.problems && s.problems.length > 1) out += indent(s.problems.slice(1).join('\n'), '        ') + '\n';
  if (s.diff) out += `        expected (-) / received (+):\n${indent(s.diff, '          ')}\n`;
  else if (s.expected) out += `        expected:\n${indent(s.expected, '          ')}\n`;
  if (s.received) out += `        received:\n${indent(s.received, '          ')}\n`;
  return out;
}

/** The parse errors of a script that did not run, `file:line: message`. */
export function errorLines(r: ScenarioResult): string {
  return r.errors.map((e) => `  ${r.file}:${e.line}: ${e.message}\n`).join('');
}

/** After a failure, the steps not run, in one line. */
export function notRunLine(stepResults: readonly StepResult[]): string {
  const n = stepResults.filter((s) => s.status === 'skip').length;
  return n ? `  - ${steps(n)} not run\n` : '';
}

/** The closing line: scenarios passed and failed (and skipped, when any were). */
export function summaryLine(results: readonly ScenarioResult[]): string {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  const skipped = count('skip');
  return `${count('pass')} passed, ${count('fail')} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}

function failureText(r: ScenarioResult): string {
  if (r.errors.length) return r.errors.map((e) => `${r.file}:${e.line}: ${e.message}`).join('\n');
  const failed = r.steps.find((s) => s.status === 'fail');
  return failed ? stepLine(failed).replace(/^ {2}/gm, '') : (r.reason ?? 'failed');
}

/** JUnit XML: a testsuite of one testcase per script (classname: the file, name: its title). */
export function junitXml(results: readonly ScenarioResult[], suiteName = 'scenarios'): string {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const total = results.reduce((t, r) => t + r.durationMs, 0);
  const cases = results.map((r) => {
    const open = `  <testcase classname="${escapeAttr(r.file)}" name="${escapeAttr(r.title ?? r.file)}" time="${seconds(r.durationMs)}"`;
    if (r.status === 'pass') return `${open}/>`;
    if (r.status === 'skip') return `${open}>\n    <skipped message="${escapeAttr(r.reason ?? '')}"/>\n  </testcase>`;
    return `${open}>\n    <failure message="${escapeAttr(r.reason ?? 'failed')}">${escapeText(failureText(r))}</failure>\n  </testcase>`;
  });
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuite name="${escapeAttr(suiteName)}" tests="${results.length}" failures="${count('fail')}" errors="0" skipped="${count('skip')}" time="${seconds(total)}">\n` +
    cases.map((c) => c + '\n').join('') +
    `</testsuite>\n`
  );
}

/** `--json`'s schema version: bump it when a field changes meaning or goes away. */
export const JSON_REPORT_VERSION = 1;

/** One step of `--json`'s report. */
export interface JsonStep {
  index: number;
  line: number;
  endLine: number;
  text: string;
  status: StepResult['status'];
  durationMs: number;
  message?: string;
  expected?: string;
  received?: string;
  diff?: string;
}

/** One script of `--json`'s report; `errors` are parse errors (the script did not run). */
export interface JsonScript {
  file: string;
  title?: string;
  status: ScenarioResult['status'];
  reason?: string;
  durationMs: number;
  errors: { line: number; message: string }[];
  steps: JsonStep[];
  /** The run's tag in the sandbox's trace (`run:<tag>` in the inspector), when it ran on a sandbox. */
  run?: string;
}

/** What `xmpp-sandbox test --json` prints: one JSON object, for editors and scripts. */
export interface JsonReport {
  version: typeof JSON_REPORT_VERSION;
  passed: number;
  failed: number;
  skipped: number;
  scripts: JsonScript[];
}

export function jsonReport(results: readonly ScenarioResult[]): JsonReport {
  const count = (s: ScenarioResult['status']) => results.filter((r) => r.status === s).length;
  return {
    version: JSON_REPORT_VERSION,
    passed: count('pass'),
    failed: count('fail'),
    skipped: count('skip'),
    scripts: results.map((r) => ({
      file: r.file,
      ...(r.title !== undefined && { title: r.title }),
      status: r.status,
      ...(r.reason !== undefined && { reason: r.reason }),
      durationMs: r.durationMs,
      errors: r.errors.map((e) => ({ line: e.line, message: e.message })),
      ...(r.run !== undefined && { run: r.run }),
      steps: r.steps.map((s) => ({
        index: s.index,
        line: s.line,
        endLine: s.endLine,
        text: s.text,
        status: s.status,
        durationMs: s.durationMs,
        ...(s.message !== undefined && { message: s.message }),
        ...(s.expected !== undefined && { expected: s.expected }),
        ...(s.received !== undefined && { received: s.received }),
        ...(s.diff !== undefined && { diff: s.diff }),
      })),
    })),
  };
}
