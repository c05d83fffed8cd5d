import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, resolveConfig } from '../../sandbox/config';

test('defaults: loopback, documented ports, sandbox password', () => {
  const c = resolveConfig();
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.xmpp.c2sPort, 5222);
  assert.equal(c.xmpp.wsPort, 5280);
  assert.equal(c.xmpp.componentPort, 5347);
  assert.equal(c.queue.port, 6380);
  assert.equal(c.xmpp.password, 'sandbox');
  assert.equal(c.xmpp.maxStanzaBytes, 256 * 1024);
  assert.equal(c.xmpp.tieBreak, 'all');
});

test('partial overrides merge deeply, records replace', () => {
  const c = resolveConfig({ xmpp: { c2sPort: 0, accounts: { bob: 'pw' } }, queue: { appendfsync: 'always' } });
  assert.equal(c.xmpp.c2sPort, 0);
  assert.equal(c.xmpp.wsPort, 5280, 'untouched keys keep defaults');
  assert.deepEqual(c.xmpp.accounts, { bob: 'pw' });
  assert.equal(c.queue.appendfsync, 'always');
  assert.equal(c.queue.port, 6380);
});

test('invalid values are refused with a message naming the setting', () => {
  assert.throws(() => resolveConfig({ xmpp: { c2sPort: 70000 } }), (e: unknown) => e instanceof ConfigError && /xmpp\.c2sPort/.test(e.message));
  assert.throws(() => resolveConfig({ xmpp: { tieBreak: 'random' as never } }), /tieBreak/);
  assert.throws(() => resolveConfig({ queue: { appendfsync: 'sometimes' as never } }), /appendfsync/);
  assert.throws(() => resolveConfig({ xmpp: { password: 'pässword' } }), /ASCII/);
  assert.throws(() => resolveConfig({ xmpp: { wsPath: 'ws' } }), /wsPath/);
});
