// `npm start` is the product's main entry: it must print the endpoints and stop cleanly on Ctrl-C.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { client } from '@xmpp/client';

const CLI = join(__dirname, '../../sandbox/cli.ts');

test('the CLI prints its endpoints, accepts a client, and exits 0 on SIGINT', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sbx-cli-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--json', '--data-dir', dataDir, '--c2s-port', '0', '--ws-port', '0', '--component-port', '0', '--queue-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
  });
  const endpoints = JSON.parse(line);
  assert.equal(endpoints.domain, 'localhost');
  assert.match(endpoints.c2s, /^xmpp:\/\/127\.0\.0\.1:\d+$/);
  assert.match(endpoints.websocket, /^ws:\/\/127\.0\.0\.1:\d+\/xmpp-websocket$/);
  assert.match(endpoints.queue, /^redis:\/\/127\.0\.0\.1:\d+$/);

  const xmpp = client({ service: endpoints.c2s, domain: 'localhost', username: 'cli', password: 'sandbox' });
  const jid = await xmpp.start();
  assert.equal(jid.bare().toString(), 'cli@localhost');
  await xmpp.stop();

  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  assert.equal(await exited, 0, `clean exit on SIGINT; stderr: ${stderr}`);
  assert.match(stderr, /stopping the sandbox/);
});

test('bad flags are refused with a usage message and exit code 2', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--c2s-port', 'abc'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  assert.equal(code, 2);
  assert.match(stderr, /--c2s-port needs an integer/);
});
