// The `xmpp-sandbox` binary (dist/sandbox.js; `npm start`): `xmpp-sandbox <command> [options]`,
// `serve` when no command is given. The extension forks it as `dist/sandbox.js --ipc`
// (serve's hidden flag). Commands: sandbox/cli/commands.ts; parsing and help: sandbox/cli/args.ts.

import { runCli } from './cli/run';

// `xmpp-sandbox --help | head`: a reader that goes away is not an error of ours.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});

runCli(process.argv.slice(2), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then(
  (result) => {
    // A finished command sets the exit code and lets pending output drain; a serving one keeps the process.
    if (result !== 'running') process.exitCode = result;
  },
  (err: unknown) => {
    process.stderr.write(`xmpp-sandbox: ${(err as Error)?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
