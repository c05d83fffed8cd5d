// Queue throughput: redis-benchmark (redis-tools) with the same flags against the embedded
// queue (in this process, AOF everysec as by default) and a real redis-server started in the
// same run (AOF everysec too, so both persist the same way). Prints req/s per test and the
// ratio embedded/redis.
//   npx tsx bench/queue-benchmark.ts [-n 200000] [--reps 2]
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveConfig } from '../sandbox/config';
import { LogHub } from '../sandbox/log';
import { createQueueServer } from '../sandbox/queue/server';
import { TraceBus } from '../sandbox/trace/bus';
import { startRedis } from '../test/sandbox/queue/helpers';

const nArg = process.argv.indexOf('-n');
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 200_000;
const TESTS = ['lpush', 'rpush', 'lpop', 'rpop'];
const repArg = process.argv.indexOf('--reps');
/** Each test runs this many times per server, interleaved, best kept: the machine is shared. */
const REPS = repArg > 0 ? Number(process.argv[repArg + 1]) : 2;

function runBenchmark(port: number, pipeline: number, tests: string, n = N): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const args = ['-h', '127.0.0.1', '-p', String(port), '-t', tests, '-n', String(n), '-c', '50', '-q', ...(pipeline > 1 ? ['-P', String(pipeline)] : [])];
    const p = spawn('redis-benchmark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', () => {
      const res: Record<string, number> = {};
      for (const line of out.split(/[\r\n]+/)) {
        const m = /^(\w+): ([\d.]+) requests per second/.exec(line.trim());
        if (m) res[m[1]!] = Number(m[2]);
      }
      if (Object.keys(res).length === 0) reject(new Error(`redis-benchmark printed no results:\n${out}`));
      else resolve(res);
    });
  });
}

async function main(): Promise<void> {
  if (spawnSync('redis-benchmark', ['--version']).status !== 0) {
    console.error('redis-benchmark not found: apt-get install redis-tools redis-server');
    process.exit(1);
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'queue-bench-'));
  const config = resolveConfig({ dataDir, queue: { port: 0, appendfsync: 'everysec' } });
  const queue = createQueueServer({ config, trace: new TraceBus({ enabled: false }), log: new LogHub('warn').logger('queue') });
  const { port: qPort } = await queue.start();
  const redisDir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-bench-'));
  const redis = await startRedis({ extraArgs: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--dir', redisDir] });
  console.log(`redis-benchmark -t ${TESTS.join(',')} -n ${N} -c 50 -q   (${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? ''})`);
  console.log('embedded: in-process, AOF everysec; redis-server: AOF everysec');
  console.log(`load average before: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (other processes skew both sides)`);
  try {
    // Warm-up: let V8 optimise the hot paths before measuring (redis-server has no JIT).
    await runBenchmark(qPort, 1, TESTS.join(','), 20_000);
    for (const pipeline of [1, 16]) {
      console.log(`\n${pipeline > 1 ? `-P ${pipeline}` : 'no pipelining'}   (best of ${REPS}, interleaved)`);
      console.log('test     embedded req/s   redis req/s   embedded/redis');
      for (const t of TESTS) {
        let e = 0;
        let r = 0;
        for (let rep = 0; rep < REPS; rep++) {
          e = Math.max(e, Object.values(await runBenchmark(qPort, pipeline, t))[0] ?? 0);
          r = Math.max(r, Object.values(await runBenchmark(redis.port, pipeline, t))[0] ?? 0);
        }
        console.log(`${t.toUpperCase().padEnd(8)} ${e.toFixed(0).padStart(14)} ${r.toFixed(0).padStart(13)} ${(e / r).toFixed(2).padStart(16)}`);
      }
    }
  } finally {
    await queue.stop();
    await redis.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(redisDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
