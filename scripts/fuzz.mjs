// `npm run fuzz`: the property-based fuzz tests (test/reliability/fuzz*.test.ts) with 20 times
// the run count CI uses and a random seed, printed first so that a failure can be replayed:
//   FUZZ_SEED=1234 npm run fuzz          the same inputs again
//   FUZZ_RUNS=100 npm run fuzz           CI's run count (the default there)
// It goes through scripts/test.mjs, so the output and the closing summary are the usual ones.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

const CI_RUNS = 100; // test/reliability/fuzz.test.ts's default
const seed = process.env.FUZZ_SEED || String(randomInt(2 ** 31 - 1));
const runs = process.env.FUZZ_RUNS || String(20 * CI_RUNS);
const replay = `FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz`;

console.log(`fuzz: seed ${seed}, ${runs} runs (replay: ${replay})`);
const r = spawnSync(process.execPath, ['scripts/test.mjs', 'test/reliability/fuzz'], {
  stdio: 'inherit',
  env: { ...process.env, FUZZ_SEED: seed, FUZZ_RUNS: runs },
});
if (r.status !== 0) console.log(`fuzz: failed; replay with ${replay}`);
process.exit(r.status ?? 1);
