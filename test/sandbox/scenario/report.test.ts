// The CLI's closing line of a script (sandbox/scenario/report.ts): a pass counts the steps that
// ran, and says how many did not (Run to Here, --until-line), from a real run to a line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseScenario } from '../../../sandbox/scenario/parser';
import { scenarioEnd } from '../../../sandbox/scenario/report';
import { runScenario } from '../../../sandbox/scenario/runner';

test('a pass to a line counts the steps run and says how many were not run', async () => {
  const text = `# to here
[Client] Romeo
\tjid: romeo@localhost
\tpassword: montague
-----
Romeo connects
Romeo sends:
\t<presence/>
Romeo receives:
\t<presence/>
Romeo disconnects
`;
  const script = parseScenario(text, 'to-here.scs');
  const partial = await runScenario(script, { untilLine: 7 });
  assert.equal(partial.status, 'pass');
  assert.match(scenarioEnd(partial), /^ {2}✓ passed \(2 steps, 2 not run, \d+ ms\)\n$/);
  const one = await runScenario(script, { untilLine: 6 });
  assert.match(scenarioEnd(one), /^ {2}✓ passed \(1 step, 3 not run, \d+ ms\)\n$/);
  const whole = await runScenario(script);
  assert.match(scenarioEnd(whole), /^ {2}✓ passed \(4 steps, \d+ ms\)\n$/);
});
