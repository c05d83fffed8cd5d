// `npm start`: one worker instance, configured by environment variables (src/config.ts,
// .env.example). Start as many as you like with distinct XMPP_RESOURCE values (or none: each
// generates one). SIGTERM or Ctrl-C: the running jobs finish, then the instance goes
// unavailable and exits; a second signal exits at once.

import { configFromEnv } from './config.js';
import { Worker } from './worker.js';

const worker = new Worker(configFromEnv());
let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(130);
    console.log(`${signal}: finishing running jobs, then leaving`);
    worker.stop().then(
      () => {
        console.log(`stopped: ${worker.stats.done} done, ${worker.stats.failed} failed`);
        process.exit(0);
      },
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

worker.start().catch((err: Error) => {
  console.error(`cannot start: ${err.message}`);
  process.exit(1);
});
