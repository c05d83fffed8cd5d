import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Endpoints } from '../../../sandbox/control/api';
import { connectionSnippet, hostPort, portOf } from '../../../src/sandbox/connectionSnippet';

const endpoints: Endpoints = {
  domain: 'localhost',
  c2s: 'xmpp://127.0.0.1:5222',
  websocket: 'ws://127.0.0.1:5280/xmpp-websocket',
  component: 'xmpp://127.0.0.1:5347',
  queue: 'redis://127.0.0.1:6380',
  password: 'sandbox',
  components: { 'bridge.localhost': 's3cr"et', 'component.localhost': 's3cr"et' },
  dataDir: '/tmp/x',
};

test('the snippet is valid JavaScript holding every connection value', async () => {
  const text = connectionSnippet(endpoints, { alice: 'wonderland' });
  // Evaluate it as a module: it must paste into a worker as is.
  const mod = await import(`data:text/javascript,${encodeURIComponent(text)}`);
  const s = mod.sandbox;
  assert.deepEqual(s.xmpp, { service: 'xmpp://127.0.0.1:5222', websocket: 'ws://127.0.0.1:5280/xmpp-websocket', domain: 'localhost', username: 'alice', password: 'sandbox' });
  assert.deepEqual(s.component, { service: 'xmpp://127.0.0.1:5347', domain: 'component.localhost', password: 's3cr"et' });
  assert.deepEqual(s.accounts, { alice: 'wonderland' });
  assert.equal(s.queue, 'redis://127.0.0.1:6380');
  assert.deepEqual(s.componentSecrets, endpoints.components);
});

test('disabled services are left out', async () => {
  const text = connectionSnippet({ ...endpoints, websocket: null, component: null, queue: null });
  const s = (await import(`data:text/javascript,${encodeURIComponent(text)}`)).sandbox;
  assert.equal(s.xmpp.websocket, undefined);
  assert.equal(s.component, undefined);
  assert.equal(s.queue, undefined);
});

test('short labels for URLs', () => {
  assert.equal(hostPort('redis://127.0.0.1:6380'), '127.0.0.1:6380');
  assert.equal(hostPort(null), 'off');
  assert.equal(portOf('ws://127.0.0.1:5280/xmpp-websocket'), '5280');
  assert.equal(portOf(null), '');
});
