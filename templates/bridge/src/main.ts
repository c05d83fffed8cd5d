// `npm start`: the bridge, configured by environment variables (src/config.ts, .env.example).
// SIGTERM or Ctrl-C: the item being sent is finished, then the bridge disconnects.

import { configFromEnv } from './config.js';
import { QueueBridge } from './bridge.js';

const bridge = new QueueBridge(configFromEnv());
let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(130);
    bridge.stop().then(
      () => {
        console.log(`stopped: ${bridge.stats.sent} sent, ${bridge.stats.dead} dead letters, ${bridge.stats.replies} replies`);
        process.exit(0);
      },
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

bridge.start().catch((err: Error) => {
  console.error(`cannot start: ${err.message}`);
  process.exit(1);
});
