// `xmpp-sandbox test` (sandbox/cli/test.ts): our scenarios (test/scenarios/*.scs) are green
// against the embedded sandbox; the deliberately failing ones exit 1 with the line and a diff,
// the timeout one ends at its timeout; --junit writes well-formed JUnit XML; and the scenarios
// that use only RFC 6120/6121 behaviour pass against Prosody with --server and --domain, the
// `## sandbox` ones skipped with the reason. test/scenarios/conformance/ holds our scripts
// after Prosody's own Scansion suite: green against the sandbox and against Prosody alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Element } from '@xmpp/xml';
import { runCli } from '../../../sandbox/cli/run';
import { parseScenario } from '../../../sandbox/scenario/parser';
import type { JsonReport, JsonScript } from '../../../sandbox/scenario/report';
import { XmlStreamParser } from '../../../sandbox/xmpp/xml/parser';
import { prosodyAvailable, startProsody } from '../bridge/prosody';

const ROOT = join(__dirname, '../../..');
const CLI = join(ROOT, 'sandbox/cli.ts');
const SCENARIOS = 'test/scenarios';

/** The CLI in a process of its own, as a user runs it: its exit code, output and wall time. */
function cli(args: string[]): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out, err, ms: Date.now() - started })));
}

/** The CLI in this process (parsing and usage errors, and runs whose process exit is not the point). */
async function inProcess(args: string[]): Promise<{ code: number | 'running'; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) }, undefined, undefined);
  return { code, out, err };
}

/** Parses JUnit XML with the stream's own restricted-XML parser: the root's attributes and its testcases. */
function parseJunit(xml: string): { suite: Record<string, string>; cases: Element[] } {
  let suite: Record<string, string> = {};
  const cases: Element[] = [];
  let problem: string | null = null;
  const p = new XmlStreamParser(
    {
      streamStart: (root) => (suite = root.attrs),
      element: (el) => cases.push(el),
      streamEnd() {},
      error: (_c, reason, offset) => (problem = `${reason} at ${offset}`),
    },
    { framed: false, maxElementBytes: Infinity },
  );
  p.write(xml);
  assert.equal(problem, null, 'well-formed XML');
  return { suite, cases };
}

/** Our scripts, and those written after Prosody's own (conformance/, docs/scenarios.md), in the order the CLI runs the two globs. */
const GLOBS = [`${SCENARIOS}/*.scs`, `${SCENARIOS}/conformance/*.scs`];
const scenarioFiles = () =>
  [SCENARIOS, `${SCENARIOS}/conformance`].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .filter((f) => f.endsWith('.scs'))
      .sort()
      .map((f) => `${dir}/${f}`),
  );

test('test/scenarios/*.scs pass against the embedded sandbox, and --junit says so', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const junit = join(dir, 'reports', 'green.xml');
  const files = scenarioFiles();
  assert.ok(files.length >= 9 && files.some((f) => f.includes('/conformance/')));
  const r = await cli(['test', ...GLOBS, '--junit', junit]);
  assert.equal(r.code, 0, r.out + r.err);
  assert.ok(r.out.endsWith(`\n${files.length} passed, 0 failed\n`), r.out);
  for (const f of files) assert.match(r.out, new RegExp(`^${f} — .*\\n(?:  ✓ .*\\n)+  ✓ passed \\(`, 'm'));
  const { suite, cases } = parseJunit(await readFile(junit, 'utf8'));
  assert.deepEqual([suite.tests, suite.failures, suite.skipped], [String(files.length), '0', '0']);
  assert.deepEqual(cases.map((c) => c.attrs.classname), files);
});

test('a failing script exits 1 with its line and a diff; the timeout one ends at its timeout; --junit holds both', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'scenario-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const junit = join(dir, 'failing.xml');
  const r = await cli(['test', `${SCENARIOS}/failing/wrong-body.scs`, `${SCENARIOS}/failing/timeout.scs`, '--junit', junit, '--timeout', '60000']);
  assert.equal(r.code, 1, r.out + r.err);
  // wrong-body.scs line 23 expects one body, Romeo sent another.
  assert.match(r.out, /^ {2}✗ {2}23 {2}Juliet receives:\n {8}\/message\/body: text "Good night, good night!", expected "Parting is such sweet sorrow"\n/m);
  assert.match(r.out, /^ {10}- {3}<body>Parting is such sweet sorrow<\/body>\n {10}\+ {3}<body>Good night, good night!<\/body>$/m);
  assert.match(r.out, /^ {2}- 2 steps not run$/m);
  // timeout.scs line 12 waits 1 s for a message nobody sends (its own timeout, not --timeout's minute).
  assert.match(r.out, /^ {2}✗ {2}12 {2}Romeo receives within 1s:\n {8}nothing received within 1000 ms$/m);
  assert.ok(r.ms < 30_000, `the run took ${r.ms} ms`);
  assert.ok(r.out.endsWith('\n0 passed, 2 failed\n'), r.out);

  const { suite, cases } = parseJunit(await readFile(junit, 'utf8'));
  assert.deepEqual([suite.tests, suite.failures], ['2', '2']);
  const failure = cases[0]!.getChild('failure')!;
  assert.equal(failure.attrs.message, 'line 23: /message/body: text "Good night, good night!", expected "Parting is such sweet sorrow"');
  assert.match(failure.getText(), /- {3}<body>Parting is such sweet sorrow<\/body>/);
  assert.equal(cases[1]!.getChild('failure')!.attrs.message, 'line 12: nothing received within 1000 ms');
});

test('--json prints one JSON object: per-script and per-step status, line, duration, and the failure\'s expected, received and diff', async () => {
  const r = await cli(['test', '--json', `${SCENARIOS}/iq-error.scs`, `${SCENARIOS}/failing/wrong-body.scs`]);
  assert.equal(r.code, 1, r.out + r.err);
  const report = JSON.parse(r.out) as JsonReport; // the whole of stdout: no human lines around it
  assert.deepEqual([report.version, report.passed, report.failed, report.skipped], [1, 1, 1, 0]);
  assert.deepEqual(report.scripts.map((s) => [s.file, s.status]), [
    [`${SCENARIOS}/iq-error.scs`, 'pass'],
    [`${SCENARIOS}/failing/wrong-body.scs`, 'fail'],
  ]);
  const [green, red] = report.scripts as [JsonScript, JsonScript];
  const script = parseScenario(readFileSync(join(ROOT, SCENARIOS, 'iq-error.scs'), 'utf8'));
  assert.deepEqual(green.steps.map((s) => [s.line, s.endLine, s.status]), script.actions.map((a) => [a.line, a.endLine, 'pass']));
  for (const s of green.steps) assert.ok(Number.isInteger(s.durationMs) && s.durationMs >= 0, `${s.line}: ${s.durationMs}`);
  const failed = red.steps.find((s) => s.status === 'fail')!;
  assert.equal(failed.line, 23);
  assert.equal(failed.text, 'Juliet receives:');
  assert.match(failed.message!, /\/message\/body: text "Good night, good night!", expected "Parting is such sweet sorrow"/);
  assert.match(failed.expected!, /<body>Parting is such sweet sorrow<\/body>/);
  assert.match(failed.received!, /<body>Good night, good night!<\/body>/);
  assert.match(failed.diff!, /^- {3}<body>Parting is such sweet sorrow<\/body>$/m);
  assert.deepEqual(red.steps.slice(red.steps.indexOf(failed) + 1).map((s) => s.status), ['skip', 'skip']);
  assert.match(red.reason!, /Good night/);
});

test('--bail stops after the first failing script; usage errors exit 2', async () => {
  const bail = await inProcess(['test', '--bail', `${SCENARIOS}/failing/wrong-body.scs`, `${SCENARIOS}/failing/timeout.scs`]);
  assert.equal(bail.code, 1);
  assert.ok(!bail.out.includes('timeout.scs —'), 'the second script did not start');
  assert.match(bail.out, /--bail: 1 script not run\n\n0 passed, 1 failed, 1 skipped\n$/);

  const missing = await inProcess(['test', `${SCENARIOS}/iq-error.scs`, 'no/such.scs']);
  assert.equal(missing.code, 2);
  assert.equal(missing.out, '', 'nothing ran');
  assert.match(missing.err, /^xmpp-sandbox test: no such file: no\/such\.scs\nusage: xmpp-sandbox test/);
  for (const [args, message] of [
    [[], /name the scenario scripts to run/],
    [['test/none/*.scs'], /no file matches test\/none\/\*\.scs/],
    [['--server', 'localhost:5222', `${SCENARIOS}/iq-error.scs`], /--server needs xmpp:\/\/host:port/],
    [['--timeout', '0', `${SCENARIOS}/iq-error.scs`], /--timeout needs an integer from 1/],
  ] as const) {
    const r = await inProcess(['test', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
  }
  const help = await inProcess(['--help']);
  assert.match(help.out, /^ {2}test +run scenario scripts/m);
});

// The conformance scripts (after Prosody's own basic.scs and basic_message.scs) pass here as
// they pass against the embedded sandbox in the first test: the same result on both servers.
test('the scenarios of RFC 6120/6121 behaviour, the conformance ones among them, pass against Prosody, the sandbox ones skipped with the reason', async (t) => {
  if (!prosodyAvailable()) assert.fail('Prosody is needed (as root): apt-get install -y prosody');
  const files = scenarioFiles();
  const core = files.map((f) => parseScenario(readFileSync(join(ROOT, f), 'utf8'), f)).filter((s) => !s.tags.some((tag) => tag.name === 'sandbox'));
  assert.ok(core.length >= 5 && core.length < files.length);
  // Prosody needs the accounts created; one password per account across the scripts. Its
  // logins (SCRAM in Lua) are slow on a loaded machine: a longer bound for each step.
  const accounts: Record<string, string> = {};
  for (const c of core.flatMap((s) => s.characters)) {
    if (c.class !== 'Client') continue;
    const [user, password] = [c.jid!.local, c.properties.password!.value];
    assert.ok(accounts[user] === undefined || accounts[user] === password, `${user} has one password`);
    accounts[user] = password;
  }
  const domain = 'scenario.test';
  const prosody = await startProsody({ domain, accounts, components: { [`echo.${domain}`]: 'echo-secret' } });
  t.after(() => prosody.stop());
  const r = await inProcess(['test', '--server', `xmpp://127.0.0.1:${prosody.c2sPort}`, '--domain', domain, '--skip-tags', 'sandbox', '--timeout', '15000', ...GLOBS]);
  assert.equal(r.code, 0, r.out + r.err);
  const skipped = files.length - core.length;
  assert.equal(r.out.match(/^ {2}- skipped: tagged 'sandbox' \(--skip-tags sandbox\)$/gm)?.length, skipped, r.out);
  // Prosody serves scenario.test only: the scripts, written for localhost, passed through --domain.
  assert.ok(r.out.endsWith(`\n${core.length} passed, 0 failed, ${skipped} skipped\n`), r.out);
});
