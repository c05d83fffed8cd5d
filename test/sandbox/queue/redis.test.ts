// The same shared queue suite against a real redis-server started here (differential test).
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { startRedis } from './helpers';
import { protocolSuite } from './protocol.suite';
import { clientsSuite } from './clients.suite';

if (spawnSync('redis-server', ['--version']).status === 0) {
  protocolSuite('redis-server', (o) => startRedis(o));
  clientsSuite('redis-server', (o) => startRedis(o));
} else {
  describe('redis-server', () => {
    it('is not installed (apt-get install redis-server): the differential half is skipped', (t) => t.skip('redis-server missing'));
  });
}
