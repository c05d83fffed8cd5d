// Configuration: environment variables only, each with a default that fits a local sandbox
// (`npx xmpp-sandbox`). Against Prosody or ejabberd and a real Redis, change the variables,
// not the code. .env.example lists them.

export interface BridgeConfig {
  /** The XEP-0114 listener, e.g. xmpp://127.0.0.1:5347. */
  service: string;
  /** The component's domain: it sends as it (or user@it) and receives everything addressed to it. */
  domain: string;
  secret: string;
  redisUrl: string;
  outbox: string;
  processing: string;
  deadLetters: string;
  replies: string;
}

type Env = Record<string, string | undefined>;

export function configFromEnv(env: Env = process.env): BridgeConfig {
  const outbox = env.OUTBOX_LIST || '{{outbox}}';
  return {
    service: env.XMPP_COMPONENT_SERVICE || 'xmpp://127.0.0.1:5347',
    domain: env.COMPONENT_DOMAIN || '{{jid}}',
    secret: env.COMPONENT_SECRET || 'secret',
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6380',
    outbox,
    processing: env.PROCESSING_LIST || `${outbox}:processing`,
    deadLetters: env.DEAD_LETTER_LIST || `${outbox}:dead`,
    replies: env.REPLY_LIST || '{{name}}:inbox',
  };
}
