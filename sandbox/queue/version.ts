// The Redis version the queue reports (HELLO's `version`, INFO's `redis_version`; see
// sandbox/queue/README.md). A module of its own so the engine and the command table, which
// the engine loads, share it without importing each other.
export const REDIS_VERSION = '7.2.0';
