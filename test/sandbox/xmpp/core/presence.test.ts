// Presence broadcast modes (config.xmpp.presenceBroadcast) and priority limits (RFC 6121 §4.7.2.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeCore, stanza } from './fake-session';

const presencesFrom = (s: { sent: import('@xmpp/xml').Element[] }, from: string) => s.sent.filter((e) => e.name === 'presence' && e.attrs.from === from);

for (const mode of ['none', 'own', 'all'] as const) {
  test(`presenceBroadcast '${mode}'`, () => {
    const core = makeCore({ xmpp: { presenceBroadcast: mode } });
    const b = core.login('b@localhost/1');
    const a2 = core.login('a@localhost/2');
    const a1 = core.login('a@localhost/1');
    const own = presencesFrom(a1, 'a@localhost/1').length;
    const sibling = presencesFrom(a2, 'a@localhost/1').length;
    const other = presencesFrom(b, 'a@localhost/1').length;
    assert.deepEqual([own, sibling, other], mode === 'none' ? [0, 0, 0] : mode === 'own' ? [1, 1, 0] : [1, 1, 1]);
    if (mode !== 'none') assert.equal(presencesFrom(a1, 'a@localhost/1')[0]!.attrs.to, 'a@localhost/1');
    // The newcomer learns who is already there (with 'all', b too).
    assert.equal(presencesFrom(a1, 'b@localhost/1').length, mode === 'all' ? 1 : 0);
    assert.equal(presencesFrom(a1, 'a@localhost/2').length, mode === 'none' ? 0 : 1);
  });
}

test('priority is clamped to −128..127, defaults to 0, and becomes unavailable on type=unavailable', () => {
  const core = makeCore();
  const a = core.login('a@localhost/1', null);
  core.sm.receive(a, stanza(`<presence><priority>500</priority></presence>`));
  assert.equal(core.router.resource('a@localhost/1')!.priority, 127);
  core.sm.receive(a, stanza(`<presence><priority>-999</priority></presence>`));
  assert.equal(core.router.resource('a@localhost/1')!.priority, -128);
  core.sm.receive(a, stanza(`<presence><show>away</show><status>lunch</status></presence>`));
  const st = core.router.resource('a@localhost/1')!;
  assert.equal(st.priority, 0);
  assert.equal(st.presence!.getChildText('status'), 'lunch');
  assert.deepEqual([st.show, st.status], ['away', 'lunch']);
  core.sm.receive(a, stanza(`<presence type='unavailable'/>`));
  assert.equal(st.available, false);
  assert.deepEqual([st.presence, st.show, st.status], [null, null, null]);
});

test('plugins get frozen views that follow the router: a write throws in strict code and is ignored in sloppy code', () => {
  const core = makeCore();
  const a = core.login('a@localhost/1', 3);
  const view = core.router.view.resource('a@localhost/1')!;
  assert.equal(core.router.view.resources('a@localhost')[0], view, 'one view per resource');
  assert.equal(view.session, core.router.view.stateOf(view.session)!.session, 'one view per session');
  assert.throws(() => ((view as { priority: number }).priority = -1), TypeError);
  assert.throws(() => (core.router.view.resources('a@localhost') as unknown[]).push(view), TypeError);
  // Code outside strict mode (a CommonJS plugin without 'use strict') writes without an error, and without an effect.
  const sloppy = new Function('v', 'v.available = false; v.priority = -1; v.session.sm = "detached"; return [v.available, v.priority, v.session.sm];');
  assert.deepEqual(sloppy(view), [true, 3, 'off']);
  // The router's named methods (here through the presence plugin) change what the view shows.
  core.sm.receive(a, stanza(`<presence><priority>7</priority><show>dnd</show></presence>`));
  assert.deepEqual([view.available, view.priority, view.show], [true, 7, 'dnd']);
});
