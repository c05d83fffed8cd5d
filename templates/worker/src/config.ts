// Configuration: environment variables only, each with a default that fits a local sandbox
// (`npx xmpp-sandbox`). Against Prosody or ejabberd and a real deployment, change the
// variables, not the code. .env.example lists them.

import { hostname } from 'node:os';

export interface WorkerConfig {
  /** @xmpp/client service URL: xmpp://host:5222 (TCP) or ws://host:5280/xmpp-websocket. */
  service: string;
  domain: string;
  username: string;
  password: string;
  /** This instance's resource; instances of one account need distinct ones (RFC 6120 §7.7). */
  resource: string;
  /** Jobs this instance runs at once. */
  concurrency: number;
  /** The lowest presence priority a running worker advertises (0..127, RFC 6121 §4.7.2.3). */
  basePriority: number;
  /** How long to listen for sibling instances' presence before and after claiming a slot, ms. */
  settleMs: number;
  /** Jobs asking for longer fail at once. */
  maxJobMs: number;
}

type Env = Record<string, string | undefined>;

function int(env: Env, key: string, def: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${key} must be an integer from ${min} to ${max}, got '${raw}'`);
  return n;
}

export function configFromEnv(env: Env = process.env): WorkerConfig {
  return {
    service: env.XMPP_SERVICE || 'xmpp://127.0.0.1:5222',
    domain: env.XMPP_DOMAIN || '{{jid|domainpart}}',
    username: env.XMPP_USERNAME || '{{jid|localpart}}',
    password: env.XMPP_PASSWORD || 'sandbox',
    resource: env.XMPP_RESOURCE || `worker-${hostname().split('.')[0]}-${process.pid}`,
    concurrency: int(env, 'WORKER_CONCURRENCY', 1, 1, 63),
    basePriority: int(env, 'WORKER_PRIORITY', 10, 0, 126),
    settleMs: int(env, 'WORKER_SETTLE_MS', 250, 0, 60_000),
    maxJobMs: int(env, 'JOB_MAX_MS', 600_000, 0, 2 ** 31 - 1),
  };
}
