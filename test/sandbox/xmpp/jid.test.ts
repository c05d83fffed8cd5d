import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JidError, parseJid, toBare, tryParseJid, withResource } from '../../../sandbox/xmpp/jid';

test('parses local, domain and resource (RFC 7622 §3.1)', () => {
  const j = parseJid('Alice@LocalHost/Work/Desk');
  assert.equal(j.local, 'alice');
  assert.equal(j.domain, 'localhost');
  assert.equal(j.resource, 'Work/Desk', 'resource keeps case and slashes');
  assert.equal(j.bare, 'alice@localhost');
  assert.equal(j.full, 'alice@localhost/Work/Desk');
  assert.equal(parseJid('bridge.localhost').bare, 'bridge.localhost');
  assert.equal(parseJid('localhost.').domain, 'localhost');
  assert.equal(toBare(j).full, 'alice@localhost');
  assert.equal(withResource(toBare(j), 'r2').full, 'alice@localhost/r2');
});

test('malformed JIDs throw jid-malformed', () => {
  for (const bad of ['', '@localhost', 'alice@', 'alice@localhost/', 'a b@localhost', 'al<ice@localhost', 'alice@local host', 'x'.repeat(1024) + '@localhost']) {
    assert.throws(() => parseJid(bad), (e: unknown) => e instanceof JidError && e.condition === 'jid-malformed', bad);
    assert.equal(tryParseJid(bad), null);
  }
});
