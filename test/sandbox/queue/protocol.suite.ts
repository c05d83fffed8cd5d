// The shared queue suite, raw-socket half: exact reply bytes, written once and run against
// the embedded queue and a real redis-server (differential test).
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { blockedClients, RawClient, until, type Target, type TargetOptions } from './helpers';

type Start = (o?: TargetOptions) => Promise<Target>;

const WRONGTYPE = '-WRONGTYPE Operation against a key holding the wrong kind of value\r\n';
const NOT_INT = '-ERR value is not an integer or out of range\r\n';

export function protocolSuite(label: string, start: Start): void {
  describe(`${label}: RESP protocol (raw bytes)`, () => {
    let t: Target;
    let c: RawClient;
    const clients: RawClient[] = [];
    const connect = async () => {
      const r = await RawClient.connect(t);
      clients.push(r);
      return r;
    };
    before(async () => {
      t = await start();
    });
    after(async () => {
      for (const r of clients) r.close();
      await t.stop();
    });
    beforeEach(async () => {
      c = await connect();
      assert.equal(await c.call('FLUSHALL'), '+OK\r\n');
    });

    it('answers PING, ECHO and inline commands', async () => {
      assert.equal(await c.call('PING'), '+PONG\r\n');
      assert.equal(await c.call('PING', 'hi'), '$2\r\nhi\r\n');
      assert.equal(await c.call('ECHO', 'héllo'), '$6\r\nh\xc3\xa9llo\r\n');
      c.write('PING\r\nECHO "a b"\r\n');
      assert.equal(await c.read(), '+PONG\r\n');
      assert.equal(await c.read(), '$3\r\na b\r\n');
    });

    it('replies to a pipelined burst in order', async () => {
      let burst = '';
      for (let i = 0; i < 100; i++) burst += `*3\r\n$5\r\nRPUSH\r\n$1\r\np\r\n$${String(i).length}\r\n${i}\r\n`;
      burst += '*4\r\n$6\r\nLRANGE\r\n$1\r\np\r\n$2\r\n98\r\n$2\r\n-1\r\n';
      c.write(burst);
      for (let i = 0; i < 100; i++) assert.equal(await c.read(), `:${i + 1}\r\n`);
      assert.equal(await c.read(), '*2\r\n$2\r\n98\r\n$2\r\n99\r\n');
    });

    it('rejects unknown commands and wrong arity like Redis 7', async () => {
      assert.equal(await c.call('FOO', 'a', 'b'), "-ERR unknown command 'FOO', with args beginning with: 'a' 'b' \r\n");
      assert.equal(await c.call('foo'), "-ERR unknown command 'foo', with args beginning with: \r\n");
      assert.equal(await c.call('LPUSH', 'q'), "-ERR wrong number of arguments for 'lpush' command\r\n");
      assert.equal(await c.call('get'), "-ERR wrong number of arguments for 'get' command\r\n");
      assert.equal(await c.call('CLIENT', 'SETNAME'), "-ERR wrong number of arguments for 'client|setname' command\r\n");
      assert.equal(await c.call('CLIENT', 'NOPE'), "-ERR unknown subcommand 'NOPE'. Try CLIENT HELP.\r\n");
    });

    it('implements the list commands', async () => {
      assert.equal(await c.call('LPUSH', 'q', 'a', 'b', 'c'), ':3\r\n');
      assert.equal(await c.call('RPUSH', 'q', 'd'), ':4\r\n');
      assert.equal(await c.call('LRANGE', 'q', '0', '-1'), '*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n');
      assert.equal(await c.call('LRANGE', 'q', '-2', '100'), '*2\r\n$1\r\na\r\n$1\r\nd\r\n');
      assert.equal(await c.call('LRANGE', 'q', '5', '10'), '*0\r\n');
      assert.equal(await c.call('LLEN', 'q'), ':4\r\n');
      assert.equal(await c.call('LINDEX', 'q', '-1'), '$1\r\nd\r\n');
      assert.equal(await c.call('LINDEX', 'q', '9'), '$-1\r\n');
      assert.equal(await c.call('LSET', 'q', '0', 'C'), '+OK\r\n');
      assert.equal(await c.call('LSET', 'q', '9', 'x'), '-ERR index out of range\r\n');
      assert.equal(await c.call('LSET', 'nokey', '0', 'x'), '-ERR no such key\r\n');
      assert.equal(await c.call('LINSERT', 'q', 'BEFORE', 'b', 'x'), ':5\r\n');
      assert.equal(await c.call('LINSERT', 'q', 'AFTER', 'zz', 'x'), ':-1\r\n');
      assert.equal(await c.call('LINSERT', 'q', 'MIDDLE', 'b', 'x'), '-ERR syntax error\r\n');
      assert.equal(await c.call('RPUSH', 'q', 'x', 'b', 'x'), ':8\r\n');
      assert.equal(await c.call('LREM', 'q', '-1', 'x'), ':1\r\n');
      assert.equal(await c.call('LREM', 'q', '0', 'x'), ':2\r\n');
      assert.equal(await c.call('LRANGE', 'q', '0', '-1'), '*5\r\n$1\r\nC\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\nb\r\n');
      assert.equal(await c.call('LTRIM', 'q', '1', '-2'), '+OK\r\n');
      assert.equal(await c.call('LRANGE', 'q', '0', '-1'), '*3\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n');
      assert.equal(await c.call('LMOVE', 'q', 'q2', 'LEFT', 'RIGHT'), '$1\r\nb\r\n');
      assert.equal(await c.call('LMOVE', 'q', 'q2', 'UP', 'RIGHT'), '-ERR syntax error\r\n');
      assert.equal(await c.call('RPOPLPUSH', 'q', 'q2'), '$1\r\nd\r\n');
      assert.equal(await c.call('LRANGE', 'q2', '0', '-1'), '*2\r\n$1\r\nd\r\n$1\r\nb\r\n');
      assert.equal(await c.call('LMOVE', 'none', 'q2', 'LEFT', 'LEFT'), '$-1\r\n');
      assert.equal(await c.call('LPUSHX', 'none', 'a'), ':0\r\n');
      assert.equal(await c.call('RPUSHX', 'q2', 'z'), ':3\r\n');
      assert.equal(await c.call('LRANGE', 'q', 'a', '1'), NOT_INT);
    });

    it('pops with and without a count; an emptied list is deleted', async () => {
      assert.equal(await c.call('RPUSH', 'q', '1', '2', '3'), ':3\r\n');
      assert.equal(await c.call('LPOP', 'q'), '$1\r\n1\r\n');
      assert.equal(await c.call('RPOP', 'q', '5'), '*2\r\n$1\r\n3\r\n$1\r\n2\r\n');
      assert.equal(await c.call('EXISTS', 'q'), ':0\r\n');
      assert.equal(await c.call('LPOP', 'q'), '$-1\r\n');
      assert.equal(await c.call('LPOP', 'q', '2'), '*-1\r\n');
      assert.equal(await c.call('LPOP', 'q', '-1'), '-ERR value is out of range, must be positive\r\n');
      assert.equal(await c.call('LPOP', 'q', 'x'), '-ERR value is out of range, must be positive\r\n');
      assert.equal(await c.call('RPUSH', 'q', '1'), ':1\r\n');
      assert.equal(await c.call('LPOP', 'q', '0'), '*0\r\n');
      assert.equal(await c.call('LPOP', 'q', '1', '2'), "-ERR wrong number of arguments for 'lpop' command\r\n");
    });

    it('answers WRONGTYPE for the wrong kind of value', async () => {
      assert.equal(await c.call('SET', 's', 'v'), '+OK\r\n');
      for (const argv of [['LPUSH', 's', 'x'], ['LRANGE', 's', '0', '1'], ['LPOP', 's'], ['LLEN', 's'], ['BLPOP', 's', '0'], ['LMOVE', 's', 'd', 'LEFT', 'LEFT']]) {
        assert.equal(await c.call(...argv), WRONGTYPE, argv.join(' '));
      }
      assert.equal(await c.call('RPUSH', 'l', 'x'), ':1\r\n');
      assert.equal(await c.call('GET', 'l'), WRONGTYPE);
      assert.equal(await c.call('INCR', 'l'), WRONGTYPE);
      assert.equal(await c.call('LMOVE', 'l', 's', 'LEFT', 'LEFT'), WRONGTYPE);
      assert.equal(await c.call('LLEN', 'l'), ':1\r\n');
    });

    it('implements keys, strings and expiry commands', async () => {
      assert.equal(await c.call('SET', 'k', '10'), '+OK\r\n');
      assert.equal(await c.call('SET', 'k', 'x', 'NX'), '$-1\r\n');
      assert.equal(await c.call('SET', 'k2', 'x', 'XX'), '$-1\r\n');
      assert.equal(await c.call('SET', 'k', '11', 'XX', 'GET'), '$2\r\n10\r\n');
      assert.equal(await c.call('SET', 'k', '1', 'EX', '0'), "-ERR invalid expire time in 'set' command\r\n");
      assert.equal(await c.call('SET', 'k', '1', 'EX', 'x'), NOT_INT);
      assert.equal(await c.call('SET', 'k', '1', 'NX', 'XX'), '-ERR syntax error\r\n');
      assert.equal(await c.call('INCR', 'k'), ':12\r\n');
      assert.equal(await c.call('INCRBY', 'k', '-20'), ':-8\r\n');
      assert.equal(await c.call('DECR', 'k'), ':-9\r\n');
      assert.equal(await c.call('INCRBY', 'k', 'x'), NOT_INT);
      assert.equal(await c.call('SET', 'big', '9223372036854775807'), '+OK\r\n');
      assert.equal(await c.call('INCR', 'big'), '-ERR increment or decrement would overflow\r\n');
      assert.equal(await c.call('SET', 'str', 'abc'), '+OK\r\n');
      assert.equal(await c.call('INCR', 'str'), NOT_INT);
      assert.equal(await c.call('GET', 'nope'), '$-1\r\n');
      assert.equal(await c.call('TYPE', 'k'), '+string\r\n');
      assert.equal(await c.call('RPUSH', 'list', 'a'), ':1\r\n');
      assert.equal(await c.call('TYPE', 'list'), '+list\r\n');
      assert.equal(await c.call('TYPE', 'nope'), '+none\r\n');
      assert.equal(await c.call('EXISTS', 'k', 'k', 'nope'), ':2\r\n');
      assert.equal(await c.call('DBSIZE'), ':4\r\n');
      assert.equal(await c.call('KEYS', 'li*'), '*1\r\n$4\r\nlist\r\n');
      const scan = await c.call('SCAN', '0', 'MATCH', 'k*', 'COUNT', '1000');
      assert.equal(scan, '*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n');
      assert.equal(await c.call('TTL', 'k'), ':-1\r\n');
      assert.equal(await c.call('TTL', 'nope'), ':-2\r\n');
      assert.equal(await c.call('EXPIRE', 'k', '100'), ':1\r\n');
      assert.equal(await c.call('TTL', 'k'), ':100\r\n');
      assert.equal(await c.call('PERSIST', 'k'), ':1\r\n');
      assert.equal(await c.call('TTL', 'k'), ':-1\r\n');
      assert.equal(await c.call('PEXPIRE', 'k', '50'), ':1\r\n');
      await new Promise((r) => setTimeout(r, 120));
      assert.equal(await c.call('GET', 'k'), '$-1\r\n');
      assert.equal(await c.call('DEL', 'list', 'str', 'nope'), ':2\r\n');
      assert.equal(await c.call('SELECT', '1'), '+OK\r\n');
      assert.equal(await c.call('DBSIZE'), ':0\r\n');
      assert.equal(await c.call('SELECT', '99'), '-ERR DB index is out of range\r\n');
      assert.equal(await c.call('SELECT', '0'), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('RPUSH', 'm', 'a'), '+QUEUED\r\n');
      assert.equal(await c.call('BLPOP', 'empty', '0'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '*2\r\n:1\r\n*-1\r\n');
    });

    it('answers transaction and option errors like Redis 7', async () => {
      assert.equal(await c.call('EXEC'), '-ERR EXEC without MULTI\r\n');
      assert.equal(await c.call('DISCARD'), '-ERR DISCARD without MULTI\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('MULTI'), '-ERR MULTI calls can not be nested\r\n');
      assert.equal(await c.call('NOPE'), "-ERR unknown command 'NOPE', with args beginning with: \r\n");
      assert.equal(await c.call('RPUSH', 'never', 'x'), '+QUEUED\r\n');
      assert.equal(await c.call('EXEC'), '-EXECABORT Transaction discarded because of previous errors.\r\n');
      assert.equal(await c.call('EXISTS', 'never'), ':0\r\n');
      assert.equal(await c.call('MULTI'), '+OK\r\n');
      assert.equal(await c.call('DISCARD'), '+OK\r\n');
      assert.equal(await c.call('SELECT', 'x'), NOT_INT);
      assert.equal(await c.call('SCAN', 'abc'), '-ERR invalid cursor\r\n');
      assert.equal(await c.call('RPUSH', 'l', 'x'), ':1\r\n');
      assert.equal(await c.call('SET', 'l', 'v', 'GET'), WRONGTYPE);
      assert.equal(await c.call('EXPIRE', 'l', '10', 'NX', 'XX'), '-ERR NX and XX, GT or LT options at the same time are not compatible\r\n');
      assert.equal(await c.call('EXPIRE', 'l', '10', 'GT', 'LT'), '-ERR GT and LT options at the same time are not compatible\r\n');
      assert.equal(await c.call('EXPIRE', 'l', '10', 'FOO'), '-ERR Unsupported option FOO\r\n');
      assert.equal(await c.call('EXPIRE', 'l', '10', 'XX'), ':0\r\n');
      assert.equal(await c.call('EXPIRE', 'l', '10', 'NX'), ':1\r\n');
      assert.equal(await c.call('EXPIRE', 'l', '-1'), ':1\r\n');
      assert.equal(await c.call('EXISTS', 'l'), ':0\r\n');
      assert.equal(await c.call('ECHO'), "-ERR wrong number of arguments for 'echo' command\r\n");
      assert.equal(await c.call('PING', 'a', 'b'), "-ERR wrong number of arguments for 'ping' command\r\n");
      assert.equal(await c.call('HELLO', '3', 'SETNAME'), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
      assert.equal(await c.call('CLIENT', 'SETINFO', 'color', 'red').then((r) => r.startsWith('-ERR ')), true);
    });

    it('validates blocking timeouts and times out with a null array', async () => {
      assert.equal(await c.call('BLPOP', 'q', '-1'), '-ERR timeout is negative\r\n');
      assert.equal(await c.call('BLPOP', 'q', 'abc'), '-ERR timeout is not a float or out of range\r\n');
      assert.equal(await c.call('BLPOP', 'q', '0.05'), '*-1\r\n');
      assert.equal(await c.call('BLMOVE', 'q', 'd', 'LEFT', 'RIGHT', '0.05'), '*-1\r\n');
      assert.equal(await c.call('BRPOPLPUSH', 'q', 'd', '0.05'), '*-1\r\n');
      assert.equal(await c.call('RPUSH', 'b', 'x'), ':1\r\n');
      assert.equal(await c.call('BLPOP', 'a', 'b', '0'), '*2\r\n$1\r\nb\r\n$1\r\nx\r\n');
    });

    it('serves a blocked client after the push completes (LPUSH q a b c → :3, then c)', async () => {
      const b = await connect();
      b.send('BLPOP', 'q', '0');
      await until(async () => (await blockedClients(t, c)) === 1, 5000, 'blocked client');
      assert.equal(await c.call('LPUSH', 'q', 'a', 'b', 'c'), ':3\r\n');
      assert.equal(await b.read(), '*2\r\n$1\r\nq\r\n$1\r\nc\r\n');
      assert.equal(await c.call('LRANGE', 'q', '0', '-1'), '*2\r\n$1\r\nb\r\n$1\r\na\r\n');
    });

    it('serves blocked clients FIFO and queues their pipelined commands', async () => {
      const waiting: RawClient[] = [];
      for (let i = 0; i < 3; i++) {
        const b = await connect();
        b.send('BRPOP', 'other', 'q', '0');
        b.send('PING'); // queued while blocked
        waiting.push(b);
        await until(async () => (await blockedClients(t, c)) === i + 1, 5000, `client ${i} blocked`);
      }
      assert.equal(await c.call('RPUSH', 'q', '1', '2', '3', '4'), ':4\r\n');
      // BRPOP takes from the tail: the longest-waiting client gets the last element.
      assert.equal(await waiting[0]!.read(), '*2\r\n$1\r\nq\r\n$1\r\n4\r\n');
      assert.equal(await waiting[1]!.read(), '*2\r\n$1\r\nq\r\n$1\r\n3\r\n');
      assert.equal(await waiting[2]!.read(), '*2\r\n$1\r\nq\r\n$1\r\n2\r\n');
      for (const b of waiting) assert.equal(await b.read(), '+PONG\r\n');
      assert.equal(await c.call('LRANGE', 'q', '0', '-1'), '*1\r\n$1\r\n1\r\n');
    });

    it('loses nothing when a blocked client disconnects', async () => {
      const b = await connect();
      b.send('BLPOP', 'q', '0');
      await until(async () => (await blockedClients(t, c)) === 1, 5000, 'blocked');
      b.close();
      await until(async () => (await blockedClients(t, c)) === 0, 5000, 'unblocked');
      assert.equal(await c.call('LPUSH', 'q', 'keep'), ':1\r\n');
      assert.equal(await c.call('LLEN', 'q'), ':1\r\n');
    });

    it('serves BLMOVE and BRPOPLPUSH (reliable-queue pattern)', async () => {
      const b = await connect();
      b.send('BLMOVE', 'jobs', 'jobs:processing', 'RIGHT', 'LEFT', '0');
      await until(async () => (await blockedClients(t, c)) === 1, 5000, 'blocked');
      assert.equal(await c.call('LPUSH', 'jobs', 'j1', 'j2'), ':2\r\n');
      assert.equal(await b.read(), '$2\r\nj1\r\n');
      assert.equal(await c.call('LRANGE', 'jobs:processing', '0', '-1'), '*1\r\n$2\r\nj1\r\n');
      assert.equal(await c.call('LREM', 'jobs:processing', '1', 'j1'), ':1\r\n');
      assert.equal(await b.call('BRPOPLPUSH', 'jobs', 'jobs:processing', '0'), '$2\r\nj2\r\n');
      assert.equal(await c.call('LLEN', 'jobs'), ':0\r\n');
    });

    it('implements pub/sub in RESP2, with the subscribed-mode rules', async () => {
      const s = await connect();
      assert.equal(await s.call('SUBSCRIBE', 'news', 'sport'), '*3\r\n$9\r\nsubscribe\r\n$4\r\nnews\r\n:1\r\n');
      assert.equal(await s.read(), '*3\r\n$9\r\nsubscribe\r\n$5\r\nsport\r\n:2\r\n');
      assert.equal(await s.call('PSUBSCRIBE', 'n*'), '*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n');
      assert.equal(await s.call('GET', 'x'), "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context\r\n");
      assert.equal(await s.call('PING'), '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
      assert.equal(await c.call('PUBLISH', 'news', 'hello'), ':2\r\n');
      assert.equal(await s.read(), '*3\r\n$7\r\nmessage\r\n$4\r\nnews\r\n$5\r\nhello\r\n');
      assert.equal(await s.read(), '*4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$4\r\nnews\r\n$5\r\nhello\r\n');
      assert.equal(await c.call('PUBLISH', 'other', 'x'), ':0\r\n');
      assert.equal(await s.call('UNSUBSCRIBE', 'news'), '*3\r\n$11\r\nunsubscribe\r\n$4\r\nnews\r\n:2\r\n');
      assert.equal(await s.call('PUNSUBSCRIBE'), '*3\r\n$12\r\npunsubscribe\r\n$2\r\nn*\r\n:1\r\n');
      assert.equal(await s.call('UNSUBSCRIBE'), '*3\r\n$11\r\nunsubscribe\r\n$5\r\nsport\r\n:0\r\n');
      assert.equal(await s.call('UNSUBSCRIBE'), '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
      assert.equal(await s.call('GET', 'x'), '$-1\r\n');
    });

    it('speaks RESP3 after HELLO 3 (nulls, maps, push frames)', async () => {
      assert.equal(await c.call('HELLO', '4'), '-NOPROTO unsupported protocol version\r\n');
      assert.equal(await c.call('HELLO', 'x'), '-ERR Protocol version is not an integer or out of range\r\n');
      const hello = await c.call('HELLO', '3');
      assert.match(hello, /^%7\r\n\$6\r\nserver\r\n\$5\r\nredis\r\n\$7\r\nversion\r\n\$\d+\r\n[\d.]+\r\n\$5\r\nproto\r\n:3\r\n\$2\r\nid\r\n:\d+\r\n\$4\r\nmode\r\n\$10\r\nstandalone\r\n\$4\r\nrole\r\n\$6\r\nmaster\r\n\$7\r\nmodules\r\n\*0\r\n$/);
      assert.equal(await c.call('GET', 'nope'), '_\r\n');
      assert.equal(await c.call('LPOP', 'nope', '2'), '_\r\n');
      assert.equal(await c.call('BLPOP', 'nope', '0.05'), '_\r\n');
      assert.equal(await c.call('CONFIG', 'GET', 'appendonly').then((s) => s.slice(0, 2)), '%1');
      const s = await connect();
      await s.call('HELLO', '3');
      assert.equal(await s.call('SUBSCRIBE', 'ch'), '>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n');
      assert.equal(await s.call('GET', 'nope'), '_\r\n'); // RESP3 has no subscribed-mode restriction
      assert.equal(await s.call('PING'), '+PONG\r\n');
      assert.equal(await c.call('PUBLISH', 'ch', 'm'), ':1\r\n');
      assert.equal(await s.read(), '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n');
      assert.equal(await c.call('HELLO', '2').then((h) => h.slice(0, 4)), '*14\r');
    });

    it('answers RESET, QUIT and CLIENT commands', async () => {
      assert.equal(await c.call('CLIENT', 'SETNAME', 'worker-1'), '+OK\r\n');
      assert.equal(await c.call('CLIENT', 'GETNAME'), '$8\r\nworker-1\r\n');
      assert.equal(await c.call('CLIENT', 'SETNAME', 'a b'), '-ERR Client names cannot contain spaces, newlines or special characters.\r\n');
      assert.match(await c.call('CLIENT', 'ID'), /^:\d+\r\n$/);
      assert.match(await c.call('INFO'), /redis_version:[\d.]+\r\n[\s\S]*loading:0\r\n/);
      assert.equal(await c.call('SUBSCRIBE', 'x'), '*3\r\n$9\r\nsubscribe\r\n$1\r\nx\r\n:1\r\n');
      assert.equal(await c.call('RESET'), '+RESET\r\n');
      assert.equal(await c.call('GET', 'k'), '$-1\r\n');
      assert.equal(await c.call('QUIT'), '+OK\r\n');
      assert.equal(await c.waitClosed(), true);
    });

    describe('bad input: an error or a closed connection, and other clients unaffected', () => {
      const cases: [string, string | Buffer, RegExp | string][] = [
        ['a bulk length of 2^40', '*2\r\n$3\r\nGET\r\n$1099511627776\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
        ['a negative bulk length', '*1\r\n$-5\r\n', '-ERR Protocol error: invalid bulk length\r\n'],
        ['a non-numeric multibulk length', '*abc\r\n', '-ERR Protocol error: invalid multibulk length\r\n'],
        ['a 10,000-deep nested array', '*1\r\n'.repeat(10_000) + '$4\r\nPING\r\n', "-ERR Protocol error: expected '$', got '*'\r\n"],
        ['a simple string where a bulk is expected', '*1\r\n+PING\r\n', "-ERR Protocol error: expected '$', got '+'\r\n"],
        ['unbalanced quotes inline', 'SET "a b\r\n', '-ERR Protocol error: unbalanced quotes in request\r\n'],
        ['binary garbage', Buffer.from([0xff, 0xfe, 0x2a, 0x41, 0x0d, 0x0a]), /^-ERR unknown command '/],
      ];
      for (const [what, bytes, expected] of cases) {
        it(what, async () => {
          const bad = await connect();
          await bad.call('RPUSH', 'precious', what);
          bad.write(bytes);
          const reply = await bad.read();
          if (typeof expected === 'string') {
            assert.equal(reply, expected);
            assert.equal(await bad.waitClosed(), true, 'connection closed after a protocol error');
          } else assert.match(reply, expected);
          const other = await connect();
          assert.equal(await other.call('PING'), '+PONG\r\n');
          assert.equal(await other.call('LRANGE', 'precious', '0', '-1'), `*1\r\n$${what.length}\r\n${what}\r\n`);
        });
      }

      it('an unterminated frame leaves the other clients working', async () => {
        const bad = await connect();
        bad.write('*3\r\n$5\r\nLPUSH\r\n$1\r\nq\r\n$100\r\nonly-a-few-bytes');
        const other = await connect();
        assert.equal(await other.call('LPUSH', 'q', 'x'), ':1\r\n');
        assert.equal(await bad.silent(50), true);
        bad.close();
        assert.equal(await other.call('LLEN', 'q'), ':1\r\n');
      });
    });
  });

  describe(`${label}: AUTH with requirepass`, () => {
    let t: Target;
    const clients: RawClient[] = [];
    before(async () => {
      t = await start({ requirepass: 'pw' });
    });
    after(async () => {
      for (const r of clients) r.close();
      await t.stop();
    });
    it('refuses commands before AUTH and checks the password', async () => {
      const c = await RawClient.connect(t);
      clients.push(c);
      assert.equal(await c.call('GET', 'x'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.call('PING'), '-NOAUTH Authentication required.\r\n');
      assert.equal(await c.call('AUTH', 'bad'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      assert.equal(await c.call('AUTH', 'someone', 'pw'), '-WRONGPASS invalid username-password pair or user is disabled.\r\n');
      assert.match(await c.call('HELLO', '3'), /^-NOAUTH HELLO must be called with the client already authenticated/);
      assert.equal(await c.call('AUTH', 'pw'), '+OK\r\n');
      assert.equal(await c.call('GET', 'x'), '$-1\r\n');
      assert.equal(await c.call('AUTH', 'default', 'pw'), '+OK\r\n');
      const d = await RawClient.connect(t);
      clients.push(d);
      assert.match(await d.call('HELLO', '3', 'AUTH', 'default', 'pw', 'SETNAME', 'n1'), /^%7\r\n/);
      assert.equal(await d.call('CLIENT', 'GETNAME'), '$2\r\nn1\r\n');
      assert.equal(await d.call('RESET'), '+RESET\r\n');
      assert.equal(await d.call('GET', 'x'), '-NOAUTH Authentication required.\r\n');
    });
  });
}
