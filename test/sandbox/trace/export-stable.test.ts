// The trace's JSON-lines export is pinned for a fixed traffic script (issue 11): however the ring
// stores events (columns, compact rows, one timestamp per pass), the same traffic must export the
// same bytes, with and without a subscriber, and the subscriber must see the same events. Only
// what differs between runs by nature is normalised: wall-clock `ts`, measured durations
// (`durationUs`, `totalUs`: kept present, value 0), and packet ids (a process-wide counter),
// renumbered in order of first appearance. Everything else (stages, plugins, verdicts,
// outcomes, key order, optional fields present or absent, the stanza XML) is compared as is.
//
// The script runs step by step, each step waiting for what it causes, so the order of events
// does not depend on the network. Regenerate the fixture after an intended change with
//   PIN_TRACE_EXPORT=1 node scripts/test.mjs test/sandbox/trace/export-stable.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startSandbox, type RunningSandbox } from '../../../sandbox/testing';
import type { TraceEvent } from '../../../sandbox/trace/events';

const FIXTURE = fileURLToPath(new URL('./fixtures/export-stable.jsonl', import.meta.url));

/** A raw c2s client (SASL PLAIN, bind with a fixed resource): every byte it sends is ours, so the trace is the same each run. */
class RawXmpp {
  private buf = '';
  private waiters: { re: RegExp; resolve: (s: string) => void }[] = [];
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.poll();
    });
  }
  private poll(): void {
    for (let i = 0; i < this.waiters.length; i++) {
      const w = this.waiters[i]!;
      const m = w.re.exec(this.buf);
      if (m) {
        this.waiters.splice(i--, 1);
        const got = this.buf.slice(0, m.index + m[0].length);
        this.buf = this.buf.slice(m.index + m[0].length);
        w.resolve(got);
      }
    }
  }
  /** Resolves with everything up to the first match of `re` (consumed); fails after 5 s. */
  wait(re: RegExp): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${re} within 5 s; buffer: ${this.buf}`)), 5000);
      this.waiters.push({
        re,
        resolve: (s) => {
          clearTimeout(timer);
          resolve(s);
        },
      });
      this.poll();
    });
  }
  send(s: string): void {
    this.sock.write(s);
  }
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.sock.once('close', () => resolve());
      this.sock.end('</stream:stream>');
    });
  }
  static async login(port: number, user: string, resource: string): Promise<RawXmpp> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawXmpp(sock);
    const header = `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
    c.send(header);
    await c.wait(/<\/stream:features>/);
    c.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    await c.wait(/<success[^>]*\/>|<\/success>/);
    c.send(header);
    await c.wait(/<\/stream:features>/);
    c.send(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await c.wait(/<\/iq>/);
    return c;
  }
}

/** A raw RESP client: one command, one reply line (the script uses only single-line replies). */
async function resp(port: number): Promise<{ cmd(...argv: string[]): Promise<string>; close(): void }> {
  const sock = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  sock.setEncoding('utf8');
  let buf = '';
  let waiting: ((line: string) => void) | null = null;
  sock.on('data', (d: string) => {
    buf += d;
    // Bulk replies ($n\r\ndata\r\n) count as one.
    const m = /^(\$\d+\r\n[^\r]*\r\n|[^$][^\r]*\r\n)/.exec(buf);
    if (m && waiting) {
      buf = buf.slice(m[0].length);
      const w = waiting;
      waiting = null;
      w(m[0]);
    }
  });
  return {
    cmd: (...argv) =>
      new Promise((resolve) => {
        waiting = resolve;
        sock.write(`*${argv.length}\r\n${argv.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
      }),
    close: () => sock.destroy(),
  };
}

/** The fixed traffic: c2s routing (full and bare JID, offline, bounce), server iqs, injection and the queue. */
async function script(s: RunningSandbox): Promise<void> {
  const port = Number(new URL(s.endpoints.c2s).port);
  const alice = await RawXmpp.login(port, 'alice', 'desk');
  alice.send(`<presence><priority>5</priority></presence>`);
  await alice.wait(/<presence[^>]*from=.alice@localhost\/desk/);
  const bob = await RawXmpp.login(port, 'bob', 'phone');
  bob.send(`<presence/>`);
  await bob.wait(/<presence[^>]*from=.bob@localhost\/phone/);

  alice.send(`<message to='bob@localhost/phone' type='chat' id='m1'><body>to the full JID &amp; escaped</body></message>`);
  await bob.wait(/id=.m1/);
  alice.send(`<message to='bob@localhost' id='m2'><body>to the bare JID</body><thread>t1</thread></message>`);
  await bob.wait(/id=.m2/);
  bob.send(`<message to='alice@localhost/desk' type='chat' id='m3'><body>ünïcödé reply ✓</body></message>`);
  await alice.wait(/id=.m3/);
  alice.send(`<iq type='get' id='ping1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await alice.wait(/id=.ping1/);
  alice.send(`<iq type='get' id='ver1' to='localhost'><query xmlns='jabber:iq:version'/></iq>`);
  await alice.wait(/id=.ver1/);
  alice.send(`<iq type='get' id='nobody1' to='nobody@localhost/x'><query xmlns='urn:example:none'/></iq>`);
  await alice.wait(/id=.nobody1/);
  alice.send(`<message to='carol@localhost' type='chat' id='m4'><body>stored for later</body></message>`);
  alice.send(`<iq type='get' id='sync1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>`);
  await alice.wait(/id=.sync1/);
  const injected = await s.control.call('stanza.inject', { as: 'localhost', xml: `<message to='bob@localhost/phone' id='m5'><body>from the server</body></message>` });
  assert.match(injected.packetId, /^p\d+$/);
  await bob.wait(/id=.m5/);

  const q = await resp(Number(new URL(s.endpoints.queue!).port));
  assert.equal(await q.cmd('RPUSH', 'jobs', 'a', 'b', 'c'), ':3\r\n');
  assert.equal(await q.cmd('LPOP', 'jobs'), '$1\r\na\r\n');
  assert.equal(await q.cmd('LMOVE', 'jobs', 'done', 'LEFT', 'RIGHT'), '$1\r\nb\r\n');
  assert.equal(await q.cmd('DEL', 'done'), ':1\r\n');
  q.close();

  await bob.close();
  // Bob's unavailable presence (sent by the server on his behalf) is the last packet.
  for (let i = 0; i < 100 && !(await s.control.call('sessions.list', {})).every((x) => x.bareJid !== 'bob@localhost'); i++) await new Promise((r) => setTimeout(r, 20));
  await alice.close();
  for (let i = 0; i < 100 && (await s.control.call('sessions.list', {})).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
}

/** The export with what varies by nature made fixed (see the top of the file). */
function normalise(jsonl: string): string {
  const ids = new Map<string, string>();
  const pid = (id: string) => {
    let n = ids.get(id);
    if (n === undefined) ids.set(id, (n = `P${ids.size + 1}`));
    return n;
  };
  const lines = jsonl.split('\n').filter((l) => l !== '');
  return lines
    .map((line) => {
      // Replace values in place, by key, so key order and the rest of the bytes stay as exported.
      return line
        .replace(/"ts":[0-9.e+-]+/, '"ts":0')
        .replace(/"(durationUs|totalUs)":[0-9.e+-]+/g, '"$1":0')
        .replace(/"(packetId|parentId)":"(p\d+)"/g, (_, k: string, id: string) => `"${k}":"${pid(id)}"`)
        .replace(/"produced":\[([^\]]*)\]/g, (_, list: string) => `"produced":[${list.replace(/"(p\d+)"/g, (_m: string, id: string) => `"${pid(id)}"`)}]`);
    })
    .join('\n')
    .concat('\n');
}

/** Runs the script on a fresh sandbox; returns the export and what a subscriber received, as JSON lines. */
async function traffic(subscribe: boolean): Promise<{ exported: string; seen: string | null }> {
  const s = await startSandbox({ bridge: false, config: { trace: { enabled: true } } });
  try {
    const seen: TraceEvent[] = [];
    const off = subscribe ? s.control.onEvent((e) => (e.type === 'trace' ? seen.push(...e.events) : undefined), { trace: true }) : null;
    const first = (await s.control.call('trace.snapshot', {})).length;
    await script(s);
    await new Promise((r) => setTimeout(r, 150)); // the last batch (flushed every 50 ms) reaches the subscriber
    off?.();
    const { jsonl } = await s.control.call('trace.export', {});
    assert.equal(first, 0, 'the sandbox traced nothing before the script');
    // seq must count 1, 2, 3… with no gaps: the ring held everything.
    const seqs = jsonl.trimEnd().split('\n').map((l) => (JSON.parse(l) as TraceEvent).seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
    return { exported: jsonl, seen: subscribe ? seen.map((e) => JSON.stringify(e)).join('\n') + '\n' : null };
  } finally {
    await s.stop();
  }
}

test('the JSON-lines export of a fixed traffic script is byte-identical to the pinned one, with and without a subscriber', async () => {
  const plain = await traffic(false);
  const watched = await traffic(true);
  const got = normalise(plain.exported);
  if (process.env.PIN_TRACE_EXPORT === '1') writeFileSync(FIXTURE, got);
  const pinned = readFileSync(FIXTURE, 'utf8');
  assert.equal(got, pinned, 'export without a subscriber');
  assert.equal(normalise(watched.exported), pinned, 'export with a subscriber');
  // What a subscriber is sent is the same events, in the same order, with the same keys.
  assert.equal(normalise(watched.seen!), pinned, 'events sent to the subscriber');
  // The script's traffic shows up as the kinds of events it must produce.
  for (const want of ['"outcome":"delivered"', '"outcome":"stored-offline"', '"outcome":"bounced"', '"outcome":"forwarded"', '"type":"queue","op":"move"', '"verdict":"produced"', '"phase":"leave"']) {
    assert.ok(pinned.includes(want), `the pinned export has ${want}`);
  }
});
