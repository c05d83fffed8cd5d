// `xmpp-sandbox test [files or globs…]`: runs scenario scripts in Scansion's format
// (docs/scenarios.md) against the embedded sandbox, or against any XMPP server with --server.
// Prints each step (✓/✗ with its line; a failed step's diff of expected against received) and a
// closing `N passed, N failed`; exits 1 when a scenario fails, 2 on a usage error (a file that
// does not exist, a bad flag). --junit writes one testcase per script; --json prints one JSON
// object instead of the human report (the editor's Test Explorer reads it).

import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { compileGlob } from '../queue/glob';
import type { ScenarioResult } from '../scenario/runner';
import { UsageError, defineCommand } from './args';

const OPTIONS = {
  server: { type: 'string', value: 'URL', help: 'test this XMPP server (xmpp://host:port, its c2s) instead of the embedded sandbox' },
  domain: { type: 'string', value: 'NAME', help: "the server's domain: replaces the scripts' own domain (that of their first client)" },
  redis: { type: 'string', value: 'URL', help: '[Queue] characters use this Redis (redis://host:port)', defaultText: "the embedded sandbox's queue" },
  junit: { type: 'string', value: 'FILE', help: 'also write the results as JUnit XML (one testcase per script)' },
  'only-tags': { type: 'string', value: 'TAGS', help: "run only scripts tagged with one of these (comma-separated; 'name' or 'name: value')" },
  'skip-tags': { type: 'string', value: 'TAGS', help: 'skip scripts tagged with one of these (comma-separated)' },
  bail: { type: 'boolean', help: 'stop after the first failing script' },
  json: { type: 'boolean', help: 'print one JSON object (per-script and per-step results) instead of the human report' },
  timeout: { type: 'integer', min: 1, max: 3_600_000, value: 'MS', help: "a step's timeout, unless it says 'receives within Ns:'", defaultText: '5000' },
  'until-line': { type: 'integer', min: 1, max: 1_000_000, value: 'N', help: 'run only the steps that start on line N or before it; the rest are skipped (the editor\'s Run to Here)' },
} as const;

const GLOB = /[*?[]/;
const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** The paths below `base` that match the remaining pattern segments (`**`: any folders, hidden ones left out). */
function matchSegments(base: string, parts: readonly string[]): string[] {
  if (parts.length === 0) return [base];
  const [part, ...rest] = parts as [string, ...string[]];
  const at = (name: string) => (base ? join(base, name) : name);
  if (!GLOB.test(part)) return matchSegments(at(part), rest);
  if (!isDir(base || '.')) return [];
  const names = readdirSync(base || '.')
    .filter((n) => !n.startsWith('.') || part.startsWith('.'))
    .sort();
  if (part === '**') return [...matchSegments(base, rest), ...names.filter((n) => isDir(at(n))).flatMap((n) => matchSegments(at(n), parts))];
  const re = compileGlob(part);
  return names.filter((n) => re.test(n)).flatMap((n) => matchSegments(at(n), rest));
}

/** The files an argument names: a file, the .scs files of a folder, or a glob (`*` within a name, `**` any folders). */
export function expandScenarioArg(arg: string): string[] {
  if (!GLOB.test(arg)) {
    if (!existsSync(arg)) throw new UsageError(`no such file: ${arg}`);
    if (!isDir(arg)) return [arg];
    return readdirSync(arg)
      .filter((n) => n.endsWith('.scs'))
      .sort()
      .map((n) => join(arg, n));
  }
  const parts = arg.split('/');
  const found = parts[0] === '' ? matchSegments('/', parts.slice(1)) : matchSegments('', parts);
  const files = [...new Set(found)].filter((p) => existsSync(p) && statSync(p).isFile()).sort();
  if (files.length === 0) throw new UsageError(`no file matches ${arg}`);
  return files;
}

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export const test = defineCommand({
  name: 'test',
  summary: "run scenario scripts (Scansion's .scs format) against the sandbox or a server",
  description:
    'Each script runs against an embedded sandbox of its own (free ports, a temporary data directory) that accepts\n' +
    "the accounts and components the script declares; --server runs it against another XMPP server instead.\n" +
    'The format and our extensions: docs/scenarios.md.',
  options: OPTIONS,
  positionals: [{ name: 'files', help: 'scenario scripts (.scs), folders of them, or globs such as test/scenarios/*.scs', variadic: true }],
  async run(values, { io, positionals }) {
    if (positionals.length === 0) throw new UsageError('name the scenario scripts to run, e.g. test/scenarios/*.scs');
    const files = [...new Set(positionals.flatMap(expandScenarioArg))];
    if (values.server !== undefined && !/^xmpp:\/\/[^/:]+:\d+\/?$/.test(values.server)) throw new UsageError(`--server needs xmpp://host:port, got '${values.server}'`);
    if (values.redis !== undefined && !/^rediss?:\/\//.test(values.redis)) throw new UsageError(`--redis needs a redis:// URL, got '${values.redis}'`);
    if (values.domain !== undefined && !/^[A-Za-z0-9.-]+$/.test(values.domain)) throw new UsageError(`--domain needs a domain name, got '${values.domain}'`);
    const texts = files.map((f) => {
      try {
        return readFileSync(f, 'utf8');
      } catch (err) {
        throw new UsageError(`cannot read ${f}: ${(err as Error).message}`);
      }
    });

    // Loaded here, so the other commands do not load the XMPP client and Redis libraries.
    const { parseScenario } = await import('../scenario/parser');
    const { runScenario } = await import('../scenario/runner');
    const report = await import('../scenario/report');

    // --json: the human lines are left out; the one JSON object is all stdout holds.
    const out = values.json ? () => {} : (text: string) => io.out(text);
    const results: ScenarioResult[] = [];
    for (const [i, file] of files.entries()) {
      const script = parseScenario(texts[i]!, file);
      if (values.bail && results.some((r) => r.status === 'fail')) {
        results.push({ file, title: script.title, status: 'skip', reason: 'not run: --bail after a failure', durationMs: 0, steps: [], errors: [] });
        continue;
      }
      out(report.scenarioTitle(file, script.title));
      const result = await runScenario(script, {
        server: values.server,
        domain: values.domain,
        redis: values.redis,
        timeoutMs: values.timeout,
        untilLine: values['until-line'],
        onlyTags: list(values['only-tags']),
        skipTags: list(values['skip-tags']),
        onStep: (step) => {
          if (step.status !== 'skip') out(report.stepLine(step));
        },
      });
      // A pass says how many steps were not run (--until-line) on its closing line.
      if (result.status === 'fail') out(report.errorLines(result) + report.notRunLine(result.steps));
      out(report.scenarioEnd(result));
      results.push(result);
    }
    const bailed = results.filter((r) => r.reason === 'not run: --bail after a failure').length;
    if (bailed) out(`--bail: ${bailed} script${bailed === 1 ? '' : 's'} not run\n`);
    out(`\n${report.summaryLine(results)}`);
    if (values.junit) {
      mkdirSync(dirname(values.junit), { recursive: true });
      writeFileSync(values.junit, report.junitXml(results));
    }
    if (values.json) io.out(JSON.stringify(report.jsonReport(results)) + '\n');
    return results.some((r) => r.status === 'fail') ? 1 : 0;
  },
});
