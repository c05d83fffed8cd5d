// The XMPP load generator, run as its own process (bench/table.ts forks it) so its CPU is
// measured apart from the server's and from the process playing the extension host. It speaks
// c2s over raw sockets (SASL PLAIN, bind, no XEP-0198): @xmpp/client costs more CPU per stanza
// than the servers do, and on a 2-core machine it would measure itself.
//
// Jobs (one per process, given as JSON in argv[2]; the result goes back over IPC):
//   closed: `senders` → 1 receiver (or, `mesh`, each to the next sender), each sender keeps
//           `window` messages in flight; msg/s, p50, p99
//   open:   the same senders at a fixed total rate (open loop); p50, p99 of what was sent on time
//   logins: `sessions` clients log in (bind + presence), `parallel` at a time; logins/s, then
//           they stay connected until the parent says 'release' (it measures the server's memory)

import * as net from 'node:net';

export interface ClosedJob {
  kind: 'closed';
  port: number;
  senders: number;
  /** N↔N: each sender writes to the next one (i → i+1 mod N), no sink. */
  mesh: boolean;
  window: number;
  bodyBytes: number;
  warmupMs: number;
  seconds: number;
}
export interface OpenJob {
  kind: 'open';
  port: number;
  senders: number;
  rate: number;
  bodyBytes: number;
  warmupMs: number;
  seconds: number;
  /**
   * Stop sending when the time is up, then wait (up to 120 s) until the receiver has every
   * message sent, and report how many each sender sent (LoadResult.sent): a flood whose every
   * message can be looked for afterwards (test/webview/flood.test.ts). Bodies start `<sender>:<n>:`.
   */
  drain?: boolean;
}
export interface LoginJob {
  kind: 'logins';
  port: number;
  sessions: number;
  parallel: number;
}
export type Job = ClosedJob | OpenJob | LoginJob;

export interface LoadResult {
  /** Messages received (closed/open) or sessions logged in (logins) while measuring. */
  count: number;
  seconds: number;
  p50: number;
  p99: number;
  /** The load generator's own CPU while measuring, ms. */
  cpuMs: number;
  /** With `drain`: messages each sender sent (numbered 0 to sent - 1), all of them received. */
  sent?: number[];
}

const HEADER = `<?xml version='1.0'?><stream:stream to='localhost' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

/** One raw c2s connection. */
class RawClient {
  private buf = '';
  private waiting: { re: RegExp; resolve: () => void; reject: (e: Error) => void } | null = null;
  onData: ((chunk: string) => void) | null = null;
  private constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      if (this.onData) return this.onData(d);
      this.buf += d;
      const w = this.waiting;
      if (w && w.re.test(this.buf)) {
        this.waiting = null;
        this.buf = '';
        w.resolve();
      }
    });
    sock.on('error', (err) => this.waiting?.reject(err));
    sock.on('close', () => this.waiting?.reject(new Error(`connection closed while waiting for ${this.waiting.re}: ${this.buf.slice(0, 300)}`)));
  }
  private wait(re: RegExp): Promise<void> {
    if (re.test(this.buf)) {
      this.buf = '';
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => (this.waiting = { re, resolve, reject }));
  }
  write(s: string): void {
    this.sock.write(s);
  }
  static async login(port: number, user: string, resource: string): Promise<RawClient> {
    const sock = await new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    });
    const c = new RawClient(sock);
    c.write(HEADER);
    await c.wait(/<\/stream:features>/);
    c.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0sandbox`).toString('base64')}</auth>`);
    await c.wait(/<success|<failure/);
    c.write(HEADER);
    await c.wait(/<\/stream:features>/);
    c.write(`<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    await c.wait(/<\/iq>/);
    // Some servers (Prosody) still want the RFC 3921 session iq; an error answer is fine.
    c.write(`<iq type='set' id='s1'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq><presence/><iq type='get' id='sync'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await c.wait(/id=["']sync["']/);
    return c;
  }
}

const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};

function quantile(sorted: number[], f: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))]! : NaN;
}

/**
 * The sink reads `<body>i:n:padding</body>`; each body found is handed to `got(sender, n)`.
 * Bodies are plain ASCII (no entity the servers could re-escape).
 */
function onBodies(sink: RawClient, got: (sender: number, n: number) => void): void {
  let rest = '';
  sink.onData = (chunk) => {
    const s = rest + chunk;
    let pos = 0;
    for (;;) {
      const b = s.indexOf('<body>', pos);
      if (b < 0) break;
      const e = s.indexOf('</body>', b);
      if (e < 0) break;
      const c1 = s.indexOf(':', b + 6);
      const c2 = s.indexOf(':', c1 + 1);
      got(Number(s.slice(b + 6, c1)), Number(s.slice(c1 + 1, c2)));
      pos = e + 7;
    }
    rest = s.slice(pos);
    const lt = rest.lastIndexOf('<message');
    rest = lt >= 0 ? rest.slice(lt) : rest.length > 64 ? '' : rest;
  };
}

async function traffic(job: ClosedJob | OpenJob): Promise<LoadResult> {
  const mesh = job.kind === 'closed' && job.mesh;
  const sink = mesh ? null : await RawClient.login(job.port, 'sink', 'r');
  const clients: RawClient[] = [];
  for (let i = 0; i < job.senders; i++) clients.push(await RawClient.login(job.port, `sender${i}`, 'r'));
  const to = (i: number) => (mesh ? `sender${(i + 1) % job.senders}@localhost/r` : 'sink@localhost/r');
  const pad = 'x'.repeat(job.bodyBytes);
  // Sent times per sender, by message number (a ring: numbers are consecutive per sender).
  const RING = 1 << 16;
  const sentAt = clients.map(() => new Float64Array(RING));
  const next = new Array<number>(job.senders).fill(0);
  let measuring = false;
  let stopping = false;
  let count = 0;
  let received = 0;
  const lat: number[] = [];
  const send = (i: number) => {
    const n = next[i]!++;
    sentAt[i]![n & (RING - 1)] = performance.now();
    const body = `${i}:${n}:${pad}`.slice(0, Math.max(job.bodyBytes, 8));
    clients[i]!.write(`<message to='${to(i)}' type='chat'><body>${body}</body></message>`);
  };
  const got = (i: number, n: number) => {
    const t0 = sentAt[i]?.[n & (RING - 1)];
    if (t0 === undefined) return;
    received++;
    if (measuring) {
      count++;
      lat.push(performance.now() - t0);
    }
    if (job.kind === 'closed' && !stopping) send(i);
  };
  for (const c of sink ? [sink] : clients) onBodies(c, got);
  let timer: NodeJS.Timeout | null = null;
  if (job.kind === 'closed') {
    for (let i = 0; i < job.senders; i++) for (let w = 0; w < job.window; w++) send(i);
  } else {
    // Open loop: every millisecond tick sends what the rate owes by now, round-robin over senders.
    const t0 = performance.now();
    let sent = 0;
    let k = 0;
    timer = setInterval(() => {
      const owed = Math.floor(((performance.now() - t0) * job.rate) / 1000);
      for (; sent < owed; sent++) send(k++ % job.senders);
    }, 1);
  }
  await new Promise((r) => setTimeout(r, job.warmupMs));
  process.send!({ measuring: true });
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, job.seconds * 1000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(cpu0);
  stopping = true;
  if (timer) clearInterval(timer);
  const total = () => next.reduce((a, b) => a + b, 0);
  if (job.kind === 'open' && job.drain) {
    const until = performance.now() + 120_000;
    while (received < total() && performance.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (received < total()) throw new Error(`drain: ${total() - received} of ${total()} messages never reached the receiver`);
  }
  for (const c of sink ? [sink, ...clients] : clients) c.sock.destroy();
  lat.sort((a, b) => a - b);
  return { count, seconds, p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), cpuMs: cpu, ...(job.kind === 'open' && job.drain ? { sent: [...next] } : {}) };
}

async function logins(job: LoginJob): Promise<LoadResult> {
  process.send!({ measuring: true });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const clients: RawClient[] = [];
  let nextUser = 0;
  const worker = async () => {
    while (nextUser < job.sessions) {
      const u = nextUser++;
      clients.push(await RawClient.login(job.port, `user${u}`, 'r'));
    }
  };
  await Promise.all(Array.from({ length: job.parallel }, worker));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(cpu0);
  process.send!({ result: { count: clients.length, seconds, p50: NaN, p99: NaN, cpuMs: cpu } satisfies LoadResult });
  await new Promise<void>((resolve) => process.on('message', (m) => (m === 'release' ? resolve() : undefined)));
  for (const c of clients) c.sock.destroy();
  return { count: clients.length, seconds, p50: NaN, p99: NaN, cpuMs: cpu };
}

if (process.send && process.argv[2]) {
  const job = JSON.parse(process.argv[2]) as Job;
  const done = job.kind === 'logins' ? logins(job).then(() => null) : traffic(job);
  done.then(
    (result) => {
      if (result) process.send!({ result }, () => process.exit(0));
      else process.exit(0);
    },
    (err: Error) => process.send!({ error: err.message }, () => process.exit(1)),
  );
}
