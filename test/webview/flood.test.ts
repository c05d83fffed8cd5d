// The inspector under a flood: 20,000 messages a second for 3 s with the panel open, the whole
// chain as the extension runs it: the sandbox in its own process (dist/sandbox.js --ipc, driven
// by IpcControlClient), the load in another (bench/loadgen.ts: raw c2s sockets, open loop), the
// host's controller here, the webview in Chromium. Every message must be in the list: one
// row, both of its passes, delivered; nothing left out. (How fast it goes is bench/'s business:
// `npm run bench` has "inspector subscribed" beside "trace on".)

import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import type { LoadResult, OpenJob } from '../../bench/loadgen';
import { IpcControlClient } from '../../sandbox/control/ipc-client';
import type { InspectorBackend } from '../../src/inspector/controller';
import { closeBrowser, openInspector, status, waitForStatus } from './harness';

after(closeBrowser);

const ROOT = resolve(__dirname, '../..');
const RATE = 20_000;
const SECONDS = 2;
const SENDERS = 4;

/** Runs one load job in its own process (as bench/table.ts does); resolves with its result. */
function load(job: OpenJob): Promise<LoadResult> {
  const child = fork(join(ROOT, 'bench/loadgen.ts'), [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolveLoad, reject) => {
    child.on('message', (m: { result?: LoadResult; error?: string }) => {
      if (m.result) resolveLoad(m.result);
      if (m.error) reject(new Error(`load generator: ${m.error}`));
    });
    child.on('exit', (code) => code !== 0 && reject(new Error(`load generator exited ${code}`)));
  });
}

test(`${RATE} msg/s for ${SECONDS} s with the inspector open: every message is a row, both passes delivered, none left out`, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'inspector-flood-'));
  const client = await IpcControlClient.start(join(ROOT, 'dist/sandbox.js'), {
    dataDir,
    logLevel: 'error',
    xmpp: { c2sPort: 0, wsPort: -1, componentPort: -1 },
    queue: { enabled: false },
    bridge: { enabled: false },
  } as never);
  t.after(async () => {
    await client.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  // What reached the host, to tell a loss in the sandbox's stream from one in the webview.
  let hostPackets = 0;
  let hostDropped = 0;
  const backend: InspectorBackend = {
    call: (m, p) => client.call(m, p),
    onEvent: (l, o) =>
      client.onEvent((e) => {
        if (e.type === 'trace') {
          hostPackets += e.events.filter((x) => x.type === 'arrival').length;
          hostDropped += e.dropped ?? 0;
        }
        l(e);
      }, o),
    running: true,
    onDidChangeRunning: () => ({ dispose() {} }),
  };
  const ip = await openInspector(backend);
  t.after(() => ip.close());
  await ip.controller.attached;
  await waitForStatus(ip.page, (s) => s.packets === 0);

  const port = Number(new URL(client.status!.endpoints!.c2s).port);
  const started = Date.now();
  const r = await load({ kind: 'open', port, senders: SENDERS, rate: RATE, bodyBytes: 64, warmupMs: 0, seconds: SECONDS, drain: true });
  const sent = r.sent!;
  const total = sent.reduce((a, b) => a + b, 0);
  assert.ok(total >= RATE * SECONDS * 0.95, `the load generator sent the flood (${total} messages)`);
  const delivered = Date.now() - started;

  // Every message: a row headed by its sender's pass, whose receiver's pass was delivered to the sink.
  const check = () =>
    ip.page.evaluate((sentBy) => {
      type Rec = { arrival?: { kind: string; direction: string; xml: string }; outcome?: { outcome: string }; secondPass?: string };
      const model = (globalThis as any).__inspector.model as { packets: Rec[]; byId: Map<string, Rec>; rowOf(p: Rec): Rec };
      const seen = sentBy.map(() => new Uint8Array(Math.max(...sentBy)));
      let rows = 0;
      let complete = 0;
      for (const p of model.packets) {
        const a = p.arrival;
        if (a?.kind !== 'message' || a.direction !== 'out') continue;
        const m = /<body>(\d+):(\d+):/.exec(a.xml);
        if (!m) continue;
        rows += model.rowOf(p) === p ? 1 : 0;
        const second = p.secondPass ? model.byId.get(p.secondPass) : undefined;
        if (p.outcome?.outcome === 'forwarded' && second?.outcome?.outcome === 'delivered') {
          seen[Number(m[1])]![Number(m[2])] = 1;
          complete++;
        }
      }
      const missing: string[] = [];
      sentBy.forEach((n, i) => {
        for (let k = 0; k < n; k++) if (!seen[i]![k]) missing.push(`${i}:${k}`);
      });
      return { rows, complete, missingCount: missing.length, missing: missing.slice(0, 5) };
    }, sent);

  let last = await check();
  const until = Date.now() + 30_000;
  while (last.missingCount > 0 && Date.now() < until) {
    await new Promise((res) => setTimeout(res, 500));
    last = await check();
  }
  const listed = Date.now() - started;
  const s = await status(ip.page);
  t.diagnostic(`${total} messages at ${RATE}/s: all received by the sink ${delivered} ms after the start, all listed in the inspector ${listed} ms after; ${s.packets} packets, ${s.events} events in the webview; the host received ${hostPackets} packets, ${hostDropped} left out; load generator p99 ${r.p99.toFixed(1)} ms`);
  assert.equal(last.missingCount, 0, `messages missing from the list (of ${total}): ${last.missing.join(', ')}`);
  assert.equal(last.rows, total, 'each message is one row');
  assert.equal(s.leftOut, 0, 'nothing was left out of the live view');
});
