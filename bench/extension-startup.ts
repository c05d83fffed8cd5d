// Extension start-up figures, measured in a real VS Code (code-server + Chromium, the same
// harness as the e2e test), with the sandbox CLI as the baseline measured in the same run:
//   - activation: the time activate() takes (the extension's own log line)
//   - workbench ready → "XMPP: Start Sandbox" runnable from the palette
//   - "Start Sandbox" (Enter in the palette) → c2s port accepting → first @xmpp/client session online
//   - the same for `node dist/sandbox.js` started directly (no extension host, no IPC)
// Run: npm run bench extension-startup   (needs scripts/install-tools.sh; XMPP_SANDBOX_VSIX=file to skip packaging)

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { client } from '@xmpp/client';
import { freePort } from '../test/helpers/net';
import {
  missingTools,
  NODE24,
  openBrowser,
  packageVsix,
  REPO_ROOT,
  runCommand,
  sleep,
  startCodeServer,
  tempDir,
  waitFor,
  waitForWorkbench,
  workbenchUrl,
} from '../test/extension/harness';

const RUNS = Math.max(2, Number(process.env.BENCH_RUNS || 4));
const DOMAIN = 'bench.test';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function portAccepting(port: number): Promise<boolean> {
  return new Promise((res) => {
    const sock = connect(port, '127.0.0.1');
    sock.once('connect', () => (sock.destroy(), res(true)));
    sock.once('error', () => res(false));
  });
}

/** ms from t0 until the port accepts, then until an @xmpp/client session is online. */
async function timeToFirstSession(port: number, t0: number): Promise<{ listening: number; online: number }> {
  await waitFor(`port ${port} accepting`, () => portAccepting(port), 60_000, 5);
  const listening = performance.now() - t0;
  const xmpp = client({ service: `xmpp://127.0.0.1:${port}`, domain: DOMAIN, username: 'bench', password: 'sandbox', resource: 'r' });
  xmpp.on('error', () => undefined);
  await xmpp.start();
  const online = performance.now() - t0;
  await xmpp.stop();
  return { listening, online };
}

function findFile(dir: string, pred: (name: string) => boolean): string | undefined {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const f = findFile(p, pred);
      if (f) return f;
    } else if (pred(name)) return p;
  }
  return undefined;
}

async function benchExtension(vsix: string) {
  const port = await freePort();
  const cs = await startCodeServer({
    vsix,
    workspaceSettings: { 'xmppSandbox.ports.c2s': port, 'xmppSandbox.ports.websocket': 0, 'xmppSandbox.ports.component': 0, 'xmppSandbox.ports.queue': 0, 'xmppSandbox.domain': DOMAIN },
  });
  const browser = await openBrowser();
  try {
    const page = browser.page;
    const tLoad = performance.now();
    await page.goto(workbenchUrl(cs));
    await waitForWorkbench(page);
    const workbench = performance.now() - tLoad;
    const starts: { listening: number; online: number }[] = [];
    let paletteReady = 0;
    for (let i = 0; i < RUNS; i++) {
      await runCommand(page, 'XMPP: Start Sandbox');
      const t0 = performance.now();
      if (i === 0) paletteReady = t0 - tLoad - workbench;
      starts.push(await timeToFirstSession(port, t0));
      await runCommand(page, 'XMPP: Stop Sandbox');
      await waitFor('stopped', async () => /XMPP: stopped/.test(await page.locator('.part.statusbar').innerText()), 30_000, 20);
      await waitFor('port released', async () => !(await portAccepting(port)), 10_000, 20);
    }
    const logFile = findFile(cs.userDataDir, (n) => n.includes('XMPP Sandbox'));
    const m = logFile ? /activated in (\d+) ms/.exec(readFileSync(logFile, 'utf8')) : null;
    if (process.env.BENCH_DUMP_LOG && logFile) console.log(readFileSync(logFile, 'utf8'));
    return { workbench, paletteReady, activation: m ? Number(m[1]) : NaN, starts };
  } finally {
    await browser.close();
    await cs.stop();
  }
}

async function benchCli() {
  const out: { listening: number; online: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    const port = await freePort();
    const t0 = performance.now();
    const child = spawn(NODE24, [join(REPO_ROOT, 'dist', 'sandbox.js'), '--c2s-port', String(port), '--ws-port', '0', '--component-port', '0', '--queue-port', '0', '--domain', DOMAIN, '--data-dir', tempDir('xmpp-bench-')], { stdio: 'ignore' });
    try {
      out.push(await timeToFirstSession(port, t0));
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await sleep(100);
  }
  return out;
}

async function main() {
  const missing = missingTools();
  if (missing) {
    console.log(`skipped: ${missing}`);
    return;
  }
  const vsix = process.env.XMPP_SANDBOX_VSIX || packageVsix();
  const size = statSync(vsix).size;
  const ext = await benchExtension(vsix);
  const cli = await benchCli();
  const warm = ext.starts.slice(1);
  const cold = ext.starts[0]!;
  const extOnline = median(warm.map((s) => s.online));
  const cliOnline = median(cli.map((s) => s.online));
  const f = (n: number) => `${n.toFixed(0)} ms`;
  console.log(`VSIX: ${(size / 1024).toFixed(1)} KiB (${vsix})`);
  console.log(`activation (activate() body, from the extension log): ${f(ext.activation)}`);
  console.log(`workbench load: ${f(ext.workbench)}; "XMPP: Start Sandbox" found in the palette ${f(ext.paletteReady)} later (listed from the manifest, before activation)`);
  console.log(`cold (first Start: extension host + activation + fork): Enter → c2s accepting ${f(cold.listening)}, → first XMPP session online ${f(cold.online)}`);
  console.log(`warm Start (palette Enter) → c2s accepting: median ${f(median(warm.map((s) => s.listening)))} (n=${warm.length}: ${warm.map((s) => f(s.listening)).join(', ')})`);
  console.log(`warm Start (palette Enter) → first XMPP session online: median ${f(extOnline)} (${warm.map((s) => f(s.online)).join(', ')})`);
  console.log(`baseline: node dist/sandbox.js spawn → c2s accepting: median ${f(median(cli.map((s) => s.listening)))}; → first XMPP session online: median ${f(cliOnline)} (${cli.map((s) => f(s.online)).join(', ')})`);
  console.log(`ratio extension (warm) / CLI, first session online: ${(extOnline / cliOnline).toFixed(2)}x`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
