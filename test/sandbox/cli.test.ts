// `npm start` is the product's main entry: it must print the endpoints and stop cleanly on Ctrl-C.
// The command line is `xmpp-sandbox <command> [options]` with `serve` as the default; parsing
// and help come from the command table (sandbox/cli/commands.ts, sandbox/cli/args.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from '@xmpp/client';
import WebSocket from 'ws';
import { version } from '../../package.json';
import { runCli } from '../../sandbox/cli/run';
import { COMMANDS } from '../../sandbox/cli/commands';
import { serve } from '../../sandbox/cli/serve';
import { defineCommand, parseCommandArgs, type Command, type CommandResult } from '../../sandbox/cli/args';
import { IpcControlClient } from '../../sandbox/control/ipc-client';

const CLI = join(__dirname, '../../sandbox/cli.ts');

/** Runs the CLI in this process (parsing, help and errors only: nothing here starts a sandbox). */
async function cli(argv: string[], commands?: readonly Command[], defaultCommand?: string): Promise<{ code: CommandResult; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (s) => (out += s), err: (s) => (err += s) }, commands, defaultCommand);
  return { code, out, err };
}

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  firstLine.catch(() => undefined); // a test that expects an exit never reads it
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, firstLine, exited, stderr: () => stderr };
}

test('the CLI prints its endpoints, accepts a client, and exits 0 on SIGINT', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  // No command: serve is the default (`npm start -- --c2s-port 0`).
  const p = run(['--json', '--data-dir', dataDir, '--c2s-port', '0', '--ws-port', '0', '--component-port', '0', '--queue-port', '0']);
  t.after(() => p.child.kill('SIGKILL'));
  const endpoints = JSON.parse(await p.firstLine);
  assert.equal(endpoints.domain, 'localhost');
  assert.match(endpoints.c2s, /^xmpp:\/\/127\.0\.0\.1:\d+$/);
  assert.match(endpoints.websocket, /^ws:\/\/127\.0\.0\.1:\d+\/xmpp-websocket$/);
  assert.match(endpoints.queue, /^redis:\/\/127\.0\.0\.1:\d+$/);

  const xmpp = client({ service: endpoints.c2s, domain: 'localhost', username: 'cli', password: 'sandbox' });
  const jid = await xmpp.start();
  assert.equal(jid.bare().toString(), 'cli@localhost');
  await xmpp.stop();

  p.child.kill('SIGINT');
  assert.equal(await p.exited, 0, `clean exit on SIGINT; stderr: ${p.stderr()}`);
  assert.match(p.stderr(), /stopping the sandbox/);
});

test('serve layers the config file under the flags; repeated flags add up or the last wins', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'sandbox.json');
  await writeFile(config, JSON.stringify({ xmpp: { domain: 'file.test', password: 'from-file', components: { 'a.file.test': 's1' } }, queue: { enabled: false }, bridge: { enabled: false } }));
  const p = run(['serve', '--config', config, '--json', '--data-dir', join(dir, 'data'), '--c2s-port', '0', '--ws-port', '-1', '--component-port', '0', '--password', 'first', '--password', 'from-flag', '--component', 'b.file.test:s2', '--component', 'c.file.test:s3']);
  t.after(() => p.child.kill('SIGKILL'));
  const endpoints = JSON.parse(await p.firstLine);
  assert.equal(endpoints.domain, 'file.test', 'from the file');
  assert.equal(endpoints.password, 'from-flag', 'the flag wins over the file, and the last of a repeated flag wins');
  assert.equal(endpoints.websocket, null, '--ws-port -1 (a negative value) turns WebSocket off');
  assert.equal(endpoints.queue, null, 'queue.enabled from the file');
  assert.deepEqual(endpoints.components, { 'a.file.test': 's1', 'b.file.test': 's2', 'c.file.test': 's3' }, 'repeated --component add to the file’s');
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);
});

test('a port in use names the flag that changes it, and exits 1', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.after(() => blocker.close());
  const port = (blocker.address() as net.AddressInfo).port;
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const p = run(['--data-dir', dataDir, '--no-queue', '--ws-port', '-1', '--component-port', '-1', '--c2s-port', String(port)]);
  t.after(() => p.child.kill('SIGKILL'));
  assert.equal(await p.exited, 1, p.stderr());
  assert.match(p.stderr(), new RegExp(`cannot start: .*${port}.*xmpp\\.c2sPort`));
  assert.match(p.stderr(), /use --c2s-port N for another port/);
});

test('--ipc still makes the sandbox the extension’s child process', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const ctl = await IpcControlClient.start(CLI, { dataDir, xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1 }, queue: { enabled: false } }, { execArgv: ['--import', 'tsx'] });
  t.after(() => ctl.stop());
  const status = await ctl.call('status', {});
  assert.equal(status.state, 'running');
  assert.match(status.endpoints!.c2s, /^xmpp:\/\/127\.0\.0\.1:\d+$/);
  const exit = await ctl.stop();
  assert.equal(exit.code, 0, exit.lastLines.join('\n'));
});

test('bad flags are refused with a usage message and exit code 2', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--c2s-port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 2);
  assert.match(stderr, /--c2s-port needs an integer/);
  assert.match(stderr, /^usage: xmpp-sandbox serve \[options\]/m);
});

test('an unknown command is named, the closest one suggested, exit 2', async () => {
  const r = await cli(['serv']);
  assert.equal(r.code, 2);
  assert.equal(r.out, '');
  assert.match(r.err, /unknown command 'serv' \(did you mean 'serve'\?\)/);
  assert.match(r.err, /^usage: xmpp-sandbox <command>/m);
  const far = await cli(['frobnicate']);
  assert.equal(far.code, 2);
  assert.match(far.err, /unknown command 'frobnicate'\n/, 'no suggestion when nothing is close');
});

test('an unknown flag is named, with the closest known flag', async () => {
  for (const argv of [['--c2sport', '0'], ['serve', '--c2sport', '0']]) {
    const r = await cli(argv);
    assert.equal(r.code, 2);
    assert.match(r.err, /xmpp-sandbox serve: unknown option '--c2sport' \(did you mean '--c2s-port'\?\)/);
    assert.match(r.err, /'xmpp-sandbox serve --help' lists its options/);
  }
  assert.match((await cli(['-x'])).err, /unknown option '-x'/);
  assert.match((await cli(['--json=yes'])).err, /--json takes no value/);
  assert.match((await cli(['serve', 'extra'])).err, /unexpected argument 'extra'/);
});

test('numbers and choices are checked, naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['--c2s-port', '70000'], /--c2s-port needs an integer from 0 to 65535, got '70000'/],
    [['--queue-port', '-1'], /--queue-port needs an integer from 0 to 65535, got '-1'/],
    [['--ws-port', '-2'], /--ws-port needs an integer from -1 to 65535, got '-2'/],
    [['--component-port=1.5'], /--component-port needs an integer/],
    [['--trace-size', '0'], /--trace-size needs an integer of at least 1, got '0'/],
    [['--tie-break', 'round'], /--tie-break must be one of all, round-robin, got 'round' \(did you mean 'round-robin'\?\)/],
    [['--log-level', 'loud'], /--log-level must be one of error, warn, info, debug/],
    [['--account', 'bob'], /--account needs USER:PW, got 'bob'/],
    [['--data-dir'], /--data-dir needs a value/],
    [['--data-dir', '--json'], /--data-dir needs a value \(got the option '--json'/],
    [['--config', '/nonexistent/sandbox.json'], /cannot read the --config file \/nonexistent\/sandbox\.json/],
  ];
  for (const [argv, message] of cases) {
    const r = await cli(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.match(r.err, message);
  }
});

test('--help lists the commands; <command> --help lists its options from the table; --version', async () => {
  const global = await cli(['--help']);
  assert.equal(global.code, 0);
  const escape = (t: string) => t.replace(/[()|.*+?^${}[\]\\]/g, '\\$&');
  for (const c of COMMANDS) assert.match(global.out, new RegExp(`^  ${c.name} +${escape(c.summary)}`, 'm'));
  assert.deepEqual(await cli(['-h']), global);

  const help = await cli(['serve', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.out, /^Usage: xmpp-sandbox serve \[options\]$/m);
  for (const [name, spec] of Object.entries(serve.options)) {
    if (spec.hidden) assert.doesNotMatch(help.out, new RegExp(`--${name}\\b`), `hidden --${name} is not listed`);
    else assert.match(help.out, new RegExp(`^  --${name}\\b.*${escape(spec.help)}`, 'm'));
  }
  assert.match(help.out, /--c2s-port N +c2s TCP port .*\(default 5222\)/);
  assert.match(help.out, /--appendfsync MODE +queue persistence: always \| everysec \| no \(default everysec\)/);
  assert.match(help.out, /--account USER:PW .*\(repeatable\)/);
  assert.equal((await cli(['--json', '-h'])).out, help.out, 'help of the default command');

  const v = await cli(['--version']);
  assert.deepEqual(v, { code: 0, out: `${version}\n`, err: '' });
});

test('the parser: defaults, repeatable values, positionals, for any table entry', async () => {
  let seen: unknown;
  const greet = defineCommand({
    name: 'greet',
    summary: 'say hello',
    options: {
      times: { type: 'integer', min: 1, max: 3, default: 1, help: 'how often' },
      to: { type: 'string', multiple: true, help: 'whom' },
      loud: { type: 'boolean', short: 'l', help: 'shout' },
    },
    positionals: [{ name: 'greeting', help: 'what to say', required: true }],
    async run(values, { positionals }) {
      seen = { times: values.times satisfies number, to: values.to satisfies string[], loud: values.loud satisfies boolean, positionals };
      return 0;
    },
  });
  assert.equal((await cli(['greet', 'hi', '--to', 'a', '-l', '--to=b'], [greet])).code, 0);
  assert.deepEqual(seen, { times: 1, to: ['a', 'b'], loud: true, positionals: ['hi'] });
  assert.deepEqual(parseCommandArgs(greet, ['x', '--times', '2', '--times', '3']).values, { times: 3, to: [], loud: false });
  assert.match((await cli(['greet'], [greet])).err, /greet: missing <greeting>/);
  assert.match((await cli(['greet', 'a', 'b'], [greet])).err, /unexpected argument 'b'/);
  const help = await cli(['greet', '--help'], [greet]);
  assert.match(help.out, /^Usage: xmpp-sandbox greet \[options\] <greeting>$/m);
  assert.match(help.out, /^  --times N +how often \(default 1\)$/m);
  assert.match(help.out, /^  -l, --loud +shout$/m);
  assert.match((await cli([], [greet], 'greet')).err, /missing <greeting>/, 'the default command runs when none is named');
});

/** The status a WebSocket upgrade from a page of `origin` gets (101 when it opens). */
function upgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['xmpp'], { origin });
    ws.once('open', () => {
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', reject);
  });
}

test('--allow-origin (repeatable, added to the config file’s) lets those pages use the WebSocket; others get 403 and a hint', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const config = join(dir, 'sandbox.json');
  await writeFile(config, JSON.stringify({ xmpp: { allowedOrigins: ['https://file.example'] } }));
  const p = run(['--config', config, '--json', '--data-dir', join(dir, 'data'), '--no-queue', '--c2s-port', '0', '--ws-port', '0', '--component-port', '-1', '--allow-origin', 'http://app.example:3000', '--allow-origin', 'https://other.example']);
  t.after(() => p.child.kill('SIGKILL'));
  const { websocket } = JSON.parse(await p.firstLine) as { websocket: string };
  for (const origin of ['http://app.example:3000', 'https://other.example', 'https://file.example', 'http://localhost:5173']) {
    assert.equal(await upgradeStatus(websocket, origin), 101, origin);
  }
  assert.equal(await upgradeStatus(websocket, 'http://evil.example'), 403);
  const deadline = Date.now() + 3000;
  while (!/evil\.example/.test(p.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.match(p.stderr(), /WebSocket upgrade from origin "http:\/\/evil\.example" .*refused with HTTP 403.*--allow-origin http:\/\/evil\.example.*xmppSandbox\.allowedOrigins/);
  p.child.kill('SIGTERM');
  assert.equal(await p.exited, 0);

  const bad = run(['--data-dir', join(dir, 'data'), '--no-queue', '--allow-origin', 'app.example']);
  t.after(() => bad.child.kill('SIGKILL'));
  assert.equal(await bad.exited, 2);
  assert.match(bad.stderr(), /bad configuration: xmpp\.allowedOrigins: "app\.example" is not an origin/);
  assert.match((await cli(['serve', '--help'])).out, /^  --allow-origin ORIGIN +let web pages from ORIGIN .*\(repeatable\)$/m);
});
