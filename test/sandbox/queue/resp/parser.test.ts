// The RESP request parser on its own: frames split at every possible byte boundary, large
// bulks gathered across chunks, inline quoting, and the AOF loader's complete offset.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtocolError, RequestParser, splitInlineArgs } from '../../../../sandbox/queue/resp/parser';

const enc = (argv: string[]) => `*${argv.length}\r\n` + argv.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');

test('parses the same commands whatever the chunking', () => {
  const cmds = [['LPUSH', 'q', 'a', ''], ['PING'], ['SET', 'k', 'x'.repeat(40_000)], ['ECHO', '\r\n\0\xff']];
  const wire = Buffer.from(cmds.map(enc).join('') + 'PING "a b" \'c\'\r\n', 'latin1');
  const expected = [...cmds, ['PING', 'a b', 'c']];
  for (const size of [1, 2, 3, 7, 64, 4096, wire.length]) {
    const p = new RequestParser();
    const out: string[][] = [];
    for (let i = 0; i < wire.length; i += size) p.feed(wire.subarray(i, i + size), out);
    assert.deepEqual(out, expected, `chunk size ${size}`);
    assert.equal(p.hasPartial, false);
    assert.equal(p.completeOffset, wire.length);
  }
});

test('reports where the last complete command ends (AOF truncation)', () => {
  const p = new RequestParser();
  const out: string[][] = [];
  const whole = enc(['RPUSH', 'q', 'one']);
  p.feed(Buffer.from(whole + enc(['RPUSH', 'q', 'two']).slice(0, 20)), out);
  assert.deepEqual(out, [['RPUSH', 'q', 'one']]);
  assert.equal(p.hasPartial, true);
  assert.equal(p.completeOffset, whole.length);
});

test('protocol errors are thrown as ProtocolError with Redis messages', () => {
  const cases: [string, RegExp][] = [
    ['*1\r\n$99999999999\r\n', /invalid bulk length/],
    ['*x\r\n', /invalid multibulk length/],
    ['*1\r\n:1\r\n', /expected '\$', got ':'/],
    ['"unterminated\r\n', /unbalanced quotes/],
  ];
  for (const [wire, re] of cases) {
    const p = new RequestParser();
    assert.throws(() => p.feed(Buffer.from(wire), []), (e: Error) => e instanceof ProtocolError && re.test(e.message), wire);
  }
});

test('inline arguments follow redis-cli/sdssplitargs quoting', () => {
  assert.deepEqual(splitInlineArgs(`SET k "a\\x41\\n" 'it\\'s'`), ['SET', 'k', 'aA\n', "it's"]);
  assert.deepEqual(splitInlineArgs('   '), []);
  assert.equal(splitInlineArgs('"a"b'), null);
});
