// `npm run bench [-- options]`: the side-by-side benchmark (bench/table.ts), printed as one
// markdown table: routing, queue and scale, against the sandbox (trace off, on, subscribed),
// ejabberd, Prosody and redis-server, ratios from the same run. Builds dist/sandbox.js first
// (the benchmark runs the sandbox as the extension does). `--quick` is a short run.
// `npm run bench -- pipeline` (or extension-startup) runs that bench/<name>.ts instead.
// Benchmarks are never part of `npm test`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const args = process.argv.slice(2);
const named = args.length > 0 && !args[0].startsWith('-') ? `bench/${args[0]}.ts` : null;
if (named && !existsSync(named)) {
  console.error(`no benchmark ${named}`);
  process.exit(1);
}
const tsx = ['--experimental-websocket', '--no-warnings=ExperimentalWarning', '--import', 'tsx'];
if (!named) {
  const build = spawnSync(process.execPath, ['esbuild.mjs', '--only=sandbox'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
const r = spawnSync(process.execPath, [...tsx, named ?? 'bench/table.ts', ...(named ? args.slice(1) : args)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
