// Configuration: environment variables only (and --workers), each with a default that fits a
// local sandbox (`npx xmpp-sandbox`). Against Prosody or ejabberd and a real Redis, change the
// variables, not the code. .env.example lists them.

import { availableParallelism } from 'node:os';

export interface DaemonConfig {
  service: string;
  domain: string;
  username: string;
  password: string;
  /** The one resource all output goes through. */
  resource: string;
  redisUrl: string;
  /** Producers LPUSH jobs (JSON) here. */
  jobList: string;
  /** Jobs no handler accepts, as JSON {reason, item, at}. */
  deadLetters: string;
  /** Worker processes (--workers N). */
  workers: number;
  /** A worker past this resident size finishes its job and is replaced (MB). */
  softMemoryMb: number;
}

type Env = Record<string, string | undefined>;

function int(raw: string | undefined, key: string, def: number, min: number): number {
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`${key} must be an integer of at least ${min}, got '${raw}'`);
  return n;
}

export function configFromEnv(env: Env = process.env, argv: readonly string[] = []): DaemonConfig {
  const flag = argv.indexOf('--workers');
  const jobList = env.JOB_LIST || '{{name}}:jobs';
  return {
    service: env.XMPP_SERVICE || 'xmpp://127.0.0.1:5222',
    domain: env.XMPP_DOMAIN || '{{jid|domainpart}}',
    username: env.XMPP_USERNAME || '{{jid|localpart}}',
    password: env.XMPP_PASSWORD || 'sandbox',
    resource: env.XMPP_RESOURCE || 'daemon',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6380',
    jobList,
    deadLetters: env.DEAD_LETTER_LIST || `${jobList}:dead`,
    workers: int(flag >= 0 ? argv[flag + 1] : env.WORKERS, '--workers', availableParallelism(), 1),
    softMemoryMb: int(env.SOFT_MEMORY_MB, 'SOFT_MEMORY_MB', 256, 1),
  };
}

/** The list a worker slot keeps its job in while it runs it (the reliable-queue pattern). */
export const processingList = (c: DaemonConfig, slot: number) => `${c.jobList}:processing:${slot}`;
