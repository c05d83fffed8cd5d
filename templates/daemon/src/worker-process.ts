// One worker process, forked by the supervisor with its slot number in DAEMON_SLOT. It takes
// jobs from the job list with the reliable-queue pattern (Redis docs, LMOVE "Pattern:
// Reliable queue"): BLMOVE jobs → its slot's processing list, run the handler, LREM. A worker
// that dies leaves its job in that list; the next process of the same slot moves it back to
// the job list first thing, so the job is run again, not lost (at least once).
// It has no XMPP connection: stanzas go to the supervisor over IPC. Its configuration is the
// supervisor's (DAEMON_CONFIG).

import { Redis } from 'ioredis';
import { configFromEnv, processingList, type DaemonConfig } from './config.js';
import { HANDLERS } from './handlers/index.js';
import type { HandlerContext, Job } from './handlers/types.js';
import { CONFIG_ENV, SLOT_ENV, toData, type FromWorker, type ToWorker } from './protocol.js';

const config: DaemonConfig = process.env[CONFIG_ENV] ? (JSON.parse(process.env[CONFIG_ENV]) as DaemonConfig) : configFromEnv();
const slot = Number(process.env[SLOT_ENV]);
const processing = processingList(config, slot);
const handlers = new Map(HANDLERS.map((h) => [h.type, h]));
const tell = (m: FromWorker) => process.send?.(m);
const log = (line: string) => console.log(`[worker ${slot} pid ${process.pid}] ${line}`);

let draining = false;
process.on('message', (m: ToWorker) => {
  if (m.kind === 'drain') draining = true;
});
process.on('disconnect', () => (draining = true)); // the supervisor is gone

const ctx: HandlerContext = {
  send: (stanza) => tell({ kind: 'send', stanza: toData(stanza) }),
  from: `${config.username}@${config.domain}/${config.resource}`,
  log,
};

function parse(item: string): Job | string {
  let job: unknown;
  try {
    job = JSON.parse(item);
  } catch (err) {
    return `not JSON: ${(err as Error).message}`;
  }
  if (typeof job !== 'object' || job === null || Array.isArray(job)) return 'not a JSON object';
  const j = job as Partial<Job>;
  if (typeof j.id !== 'string' || !j.id) return "no 'id'";
  if (typeof j.type !== 'string' || !handlers.has(j.type)) return `no handler for type '${String(j.type)}' (handlers: ${[...handlers.keys()].join(', ')})`;
  return j as Job;
}

async function main(): Promise<void> {
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (err: Error) => log(`redis: ${err.message}`));
  let requeued = 0;
  while ((await redis.lmove(processing, config.jobList, 'LEFT', 'RIGHT')) !== null) requeued++;
  if (requeued) log(`requeued ${requeued} job(s) a previous worker of slot ${slot} left unfinished`);
  tell({ kind: 'ready' });
  const memory = setInterval(() => tell({ kind: 'memory', rss: process.memoryUsage().rss }), 1000);

  while (!draining) {
    // A 1 s timeout: a drain request is seen within a second.
    const item = await redis.blmove(config.jobList, processing, 'RIGHT', 'LEFT', 1);
    if (item === null) continue;
    const job = parse(item);
    if (typeof job === 'string') {
      await redis.multi().lpush(config.deadLetters, JSON.stringify({ reason: job, item, at: new Date().toISOString() })).lrem(processing, 1, item).exec();
      continue;
    }
    tell({ kind: 'job', id: job.id, state: 'started' });
    try {
      await handlers.get(job.type)!.handle(job, ctx);
      await redis.lrem(processing, 1, item);
      tell({ kind: 'job', id: job.id, state: 'done' });
    } catch (err) {
      const reason = (err as Error).message;
      await redis.multi().lpush(config.deadLetters, JSON.stringify({ reason, item, at: new Date().toISOString() })).lrem(processing, 1, item).exec();
      tell({ kind: 'job', id: job.id, state: 'failed', error: reason });
    }
    tell({ kind: 'memory', rss: process.memoryUsage().rss });
  }
  clearInterval(memory);
  await redis.quit();
  process.disconnect?.();
}

main().catch((err: Error) => {
  log(`fatal: ${err.stack ?? err.message}`);
  process.exit(1);
});
