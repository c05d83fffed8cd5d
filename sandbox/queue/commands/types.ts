import type { Client } from '../client';
import type { Db } from '../store/db';
import type { Engine } from '../engine';

/**
 * Command flags, as in Redis's command table (src/commands/*.json):
 * - write: may modify the keyspace (effective writes are appended to the AOF)
 * - readonly: only reads
 * - blocking: may block the client (BLPOP…)
 * - pubsub: pub/sub command
 * - noauth: allowed before AUTH when requirepass is set
 * - loading: allowed while the AOF loads (everything here: loading is synchronous)
 * - subscribed: allowed in RESP2 subscribed mode
 * - admin: server administration
 */
export type CommandFlag = 'write' | 'readonly' | 'blocking' | 'pubsub' | 'noauth' | 'loading' | 'subscribed' | 'admin' | 'fast';

export interface CommandContext {
  engine: Engine;
  client: Client;
  argv: string[];
  /** The client's selected database. */
  db: Db;
  /** True inside MULTI/EXEC: blocking commands do not block (redis.io BLPOP "BLPOP inside a MULTI / EXEC transaction"). */
  inTransaction: boolean;
}

export type CommandHandler = (ctx: CommandContext) => void;

export interface CommandSpec {
  /** Lower-case name; subcommands use their own name (e.g. 'setname'). */
  name: string;
  /** Redis arity: N > 0 exactly N arguments (command name included), -N at least N. */
  arity: number;
  flags: readonly CommandFlag[];
  handler?: CommandHandler;
  /** Container commands (CLIENT, CONFIG, COMMAND…). */
  subcommands?: readonly CommandSpec[];
}

// Error replies byte-for-byte as Redis 7 (server.c createSharedObjects).
export const E = {
  WRONGTYPE: 'WRONGTYPE Operation against a key holding the wrong kind of value',
  NOT_INT: 'ERR value is not an integer or out of range',
  SYNTAX: 'ERR syntax error',
  NOAUTH: 'NOAUTH Authentication required.',
  WRONGPASS: 'WRONGPASS invalid username-password pair or user is disabled.',
  NO_SUCH_KEY: 'ERR no such key',
  OUT_OF_RANGE: 'ERR index out of range',
  OVERFLOW: 'ERR increment or decrement would overflow',
  NOT_POSITIVE: 'ERR value is out of range, must be positive',
} as const;

/** Redis string2ll on an argument: NaN when it is not a canonical 64-bit integer. */
export function toInt(s: string): number {
  if (!/^-?(0|[1-9][0-9]{0,18})$/.test(s) || s === '-0') return NaN;
  const n = Number(s);
  // Beyond 2^53 the value is imprecise; Redis accepts up to 2^63-1 but queues never need it.
  return Number.isSafeInteger(n) ? n : Number.isFinite(n) && Math.abs(n) <= 9223372036854775807 ? n : NaN;
}

/** Parses an integer argument or replies NOT_INT; returns null on error. */
export function intArg(ctx: CommandContext, s: string): number | null {
  const n = toInt(s);
  if (Number.isNaN(n)) {
    ctx.client.error(E.NOT_INT);
    return null;
  }
  return n;
}

export function cmd(name: string, arity: number, flags: readonly CommandFlag[], handler: CommandHandler): CommandSpec {
  return { name, arity, flags, handler };
}
