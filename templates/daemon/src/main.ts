// `npm start [-- --workers N]`: the supervisor and its workers, configured by environment
// variables (src/config.ts, .env.example). SIGTERM or Ctrl-C: every worker finishes its job,
// then the daemon exits; a second signal exits at once.

import { configFromEnv } from './config.js';
import { Supervisor } from './supervisor.js';

const supervisor = new Supervisor(configFromEnv(process.env, process.argv.slice(2)));
let signals = 0;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(130);
    console.log(`${signal}: draining the workers`);
    supervisor.stop().then(
      () => process.exit(0),
      (err: Error) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

supervisor.start().catch((err: Error) => {
  console.error(`cannot start: ${err.message}`);
  process.exit(1);
});
