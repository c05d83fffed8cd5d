// The inspector webview in Chromium with a fake VS Code host (harness.ts) replaying a trace:
// rows (one per stanza, From and To), filters, the passes and their stage timelines, earlier
// runs, the offline store and the bridge, keyboard, pause, export, XSS, composer, scale, themes.
// The host streams summaries (isSummaryEvent); stage timelines come on demand ('detail'),
// answered from the ReplayBackend's events ('trace.packets').

import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { isSummaryEvent, STAGES, type ArrivalEvent, type TraceEvent } from '../../sandbox/trace/events';
import { closeBrowser, openInspector, ReplayBackend, status, waitForStatus, type InspectorPage } from './harness';
import { bulkTrace, scenarioTrace, TraceWriter, XSS_BODIES } from './fixture';
import { loadScenario } from './recording';

const RESULTS = 'test-results/webview';

describe('stanza inspector webview', () => {
  let scenario: Awaited<ReturnType<typeof loadScenario>>;
  before(async () => {
    await mkdir(RESULTS, { recursive: true });
    scenario = await loadScenario();
  });
  after(closeBrowser);

  async function open(opts: Parameters<typeof openInspector>[1] = {}, events: TraceEvent[] = scenario.events): Promise<InspectorPage> {
    const backend = new ReplayBackend(events, scenario.sessions, scenario.domain);
    const ip = await openInspector(backend, opts);
    // Every summary indexed (a selection restored from the state may have fetched more).
    await waitForStatus(ip.page, (s) => s.packets === packetCount(events) && s.events >= summaries(events).length);
    return ip;
  }

  /**
   * Clicks a packet's row and waits for its stage timelines (fetched on demand). Under a loaded
   * CI machine a click has been seen to leave no selection (the details never showed); click
   * again then, up to three times, so the test waits on the timeline rather than on one click landing.
   */
  async function selectPacket(page: InspectorPage['page'], packetId: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await page.locator(`.rows .row[data-packet="${packetId}"]`).click();
      try {
        await page.locator(`#details[data-packet="${packetId}"] .pass .timeline .stage`).first().waitFor({ timeout: 10_000 });
        await page.waitForFunction(() => !(globalThis as any).document.querySelector('#details .pass[data-timeline="loading"]'), undefined, { timeout: 10_000 });
        return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  }

  /** The events the webview indexes: every packet's, and the dead letters (other queue events are not rows). */
  function indexed(events: TraceEvent[]): TraceEvent[] {
    return events.filter((e) => e.type !== 'queue' || e.op === 'dead-letter');
  }

  /** What the host streams of them: the summaries (the list's needs). */
  function summaries(events: TraceEvent[]): TraceEvent[] {
    return indexed(events).filter(isSummaryEvent);
  }

  function packetCount(events: TraceEvent[]): number {
    return new Set(indexed(events).map((e) => e.packetId ?? `dead${e.seq}`)).size;
  }

  /**
   * The receivers' passes of the scenario, computed here from the trace: a packet that a packet
   * processed for its sender ('out') re-emitted unchanged for the receiver ('in').
   */
  function secondPasses(events: TraceEvent[]): Map<string, string> {
    const arrivals = new Map(events.filter((e): e is ArrivalEvent => e.type === 'arrival').map((a) => [a.packetId, a]));
    const out = new Map<string, string>();
    const taken = new Set<string>();
    for (const a of arrivals.values()) {
      const parent = a.parentId ? arrivals.get(a.parentId) : undefined;
      if (parent && !taken.has(parent.packetId) && parent.direction === 'out' && a.direction === 'in' && parent.xml === a.xml) {
        out.set(a.packetId, parent.packetId);
        taken.add(parent.packetId);
      }
    }
    return out;
  }

  /** The row a packet shows in (one row per stanza). */
  const rowOf = (id: string): string => secondPasses(scenario.events).get(id) ?? id;

  test('one row per stanza: From and To columns (the sandbox domain left out), kind, status', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const s = await status(page);
    const { chat1, chat2, reply1 } = scenario.ids;
    assert.equal(s.packets, packetCount(scenario.events));
    assert.equal(secondPasses(scenario.events).get(chat2!), chat1, 'the recording routed the chat in two passes');
    assert.equal(s.rows, s.packets - secondPasses(scenario.events).size, 'a receiver\u2019s pass is no row of its own');
    await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('.rows .row').length === n, s.rows);
    assert.equal(await page.locator(`.rows .row[data-packet="${chat2}"]`).count(), 0);
    const row = page.locator(`.rows .row[data-packet="${chat1}"]`);
    assert.equal(await row.locator('.c-from').innerText(), 'alice/laptop');
    assert.equal(await row.locator('.c-from').getAttribute('title'), scenario.jids.alice, 'the full JID on hover');
    assert.equal(await row.locator('.c-to').innerText(), 'bob');
    // The reply reads the other way round: alice→bob and bob→alice no longer look alike.
    const reply = page.locator(`.rows .row[data-packet="${reply1}"]`);
    assert.deepEqual([await reply.locator('.c-from').innerText(), await reply.locator('.c-to').innerText()], ['bob/phone', 'alice/laptop']);
    assert.equal(await row.locator('.c-kind').innerText(), 'message/chat');
    assert.match(await row.locator('.c-outcome').innerText(), /delivered/, 'the row ends where the receiver\u2019s pass ended');
    assert.match(await page.locator(`.rows .row[data-packet="${rowOf(scenario.ids.offline!)}"] .c-outcome`).innerText(), /delivered later/);
    assert.match(await page.locator(`.rows .row[data-packet="${scenario.ids.ping}"] .c-xmlns`).innerText(), /urn:xmpp:ping/);
    assert.deepEqual(ip.pageErrors, []);
    assert.deepEqual(ip.console.filter((c) => /Content Security Policy|Refused/.test(c)), [], 'no CSP violation');
  });

  for (const theme of ['dark', 'light', 'high-contrast'] as const) {
    test(`screenshot, ${theme} theme`, async (t) => {
      const ip = await open({ theme });
      t.after(() => ip.close());
      const { page } = ip;
      await selectPacket(page, scenario.ids.chat1);
      await page.evaluate(() => (globalThis as any).document.fonts.ready);
      const file = `${RESULTS}/inspector-${theme}.png`;
      await page.screenshot({ path: file });
      if (theme === 'dark' && process.env.UPDATE_SCREENSHOTS) await copyFile(file, 'media/screenshot-inspector.png');
      const bg = await page.evaluate(() => { const g = globalThis as any; return g.getComputedStyle(g.document.body).backgroundColor; });
      assert.equal(bg, { dark: 'rgb(31, 31, 31)', light: 'rgb(255, 255, 255)', 'high-contrast': 'rgb(0, 0, 0)' }[theme], 'the theme variables reach the page');
    });
  }

  for (const width of [1000, 900, 700, 400]) {
    test(`every column fits inside the list at ${width}px (an editor split beside code)`, async (t) => {
      const ip = await open({ width, height: 700 });
      t.after(() => ip.close());
      const { page } = ip;
      const pane = await page.locator('.list-pane').boundingBox();
      const cells = await page.locator('.rows .row').first().locator('span[class^="c-"]').evaluateAll((els) =>
        els.filter((e) => (globalThis as any).getComputedStyle(e).display !== 'none').map((e) => e.getBoundingClientRect().right),
      );
      assert.ok(pane && cells.length >= (width < 520 ? 6 : 7));
      for (const right of cells) assert.ok(right <= pane.x + pane.width + 0.5, `a cell ends at ${right}, the list at ${pane.x + pane.width}`);
      // A column too narrow to read is hidden rather than squeezed to a letter.
      const widths = await page.locator('.row.header').locator('span[class^="c-"]:not(.c-dir)').evaluateAll((els) =>
        els.filter((e) => (globalThis as any).getComputedStyle(e).display !== 'none').map((e) => [e.className, e.getBoundingClientRect().width] as const),
      );
      for (const [name, w] of widths) assert.ok(w >= 24, `${name} is ${w}px wide at ${width}px`);
      // The toolbar wraps rather than clipping the stanza count off the right edge.
      const st = await page.locator('#status').boundingBox();
      assert.ok(st && st.x + st.width <= width + 0.5, `the status ends at ${st && st.x + st.width}, the page at ${width}`);
      await selectPacket(page, scenario.ids.chat1);
      // The composer starts collapsed; open it.
      assert.equal(await page.locator('#composer').evaluate((el) => (el as any).open), false, 'the composer starts collapsed');
      await page.locator('#composer-toggle').click();
      // The composer keeps its height when a long trace fills the details: Send stays on screen.
      // Side by side (wide) it is on screen as is; stacked (narrow) the lower pane scrolls to it.
      if (width < 860) await page.locator('#composer-send').scrollIntoViewIfNeeded();
      const send = await page.locator('#composer-send').boundingBox();
      assert.ok(send && send.y + send.height <= 700 + 0.5, `Send ends at ${send && send.y + send.height}, the page at 700`);
      assert.ok((await page.locator('#details').boundingBox())!.height >= 100, 'the details keep some room');
      await page.screenshot({ path: `${RESULTS}/inspector-${width}px.png` });
    });
  }

  /** The ids the webview's model shows (in order). */
  async function visibleIds(ip: InspectorPage): Promise<string[]> {
    return ip.page.evaluate(() => (globalThis as any).__inspector.visible.map((p: { id: string }) => p.id));
  }

  async function setText(ip: InspectorPage, id: string, value: string): Promise<void> {
    await ip.page.locator(`#${id} input`).fill(value);
  }

  async function setSelect(ip: InspectorPage, id: string, value: string): Promise<void> {
    await ip.page.locator(`#${id}`).evaluate((el, v) => {
      (el as any).value = v;
      el.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }

  /**
   * Expected rows for a predicate over a packet's events, computed here independently of the
   * webview: a stanza's row shows when either of its passes matches.
   */
  function expected(pred: (arrival: any, events: TraceEvent[]) => boolean): string[] {
    const byPacket = new Map<string, TraceEvent[]>();
    for (const e of scenario.events) if (e.type !== 'queue') (byPacket.get(e.packetId) ?? byPacket.set(e.packetId, []).get(e.packetId)!).push(e);
    const rows = new Set([...byPacket].filter(([, evs]) => pred(evs.find((e) => e.type === 'arrival'), evs)).map(([id]) => rowOf(id)));
    return [...byPacket.keys()].filter((id) => rows.has(id));
  }

  test('filters: JID (bare and full), kind, type, xmlns, outcome, plugin, free text', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const bare = (j?: string): string | undefined => j?.split('/')[0];
    const alice = scenario.jids.alice;
    const bob = scenario.jids.bob;
    const cases: [string, () => Promise<void>, string[]][] = [
      ['bare JID', () => setText(ip, 'filter-jid', bare(bob)!), expected((a) => bare(a?.from) === bare(bob) || bare(a?.to) === bare(bob))],
      ['full JID', () => setText(ip, 'filter-jid', alice), expected((a) => a?.from === alice || a?.to === alice)],
      ['kind', async () => { await setText(ip, 'filter-jid', ''); await setSelect(ip, 'filter-kind', 'iq'); }, expected((a) => a?.kind === 'iq')],
      ['type', async () => { await setSelect(ip, 'filter-kind', ''); await setText(ip, 'filter-type', 'result'); }, expected((a) => a?.stanzaType === 'result')],
      ['xmlns', async () => { await setText(ip, 'filter-type', ''); await setText(ip, 'filter-xmlns', 'urn:xmpp:ping'); }, expected((a) => a?.xmlns === 'urn:xmpp:ping')],
      ['outcome', async () => { await setText(ip, 'filter-xmlns', ''); await setSelect(ip, 'filter-outcome', 'stored-offline'); }, expected((_a, evs) => evs.some((e) => e.type === 'outcome' && e.outcome === 'stored-offline'))],
      ['plugin', async () => { await setSelect(ip, 'filter-outcome', ''); await setText(ip, 'filter-plugin', scenario.plugin); }, expected((_a, evs) => evs.some((e) => e.type === 'plugin' && e.plugin === scenario.plugin))],
      ['free text', async () => { await setText(ip, 'filter-plugin', ''); await setText(ip, 'filter-text', 'Hello Bob'); }, expected((a) => !!a?.xml.includes('Hello Bob'))],
    ];
    for (const [name, apply, want] of cases) {
      await apply();
      assert.ok(want.length > 0, `${name}: the scenario has matching packets`);
      await waitForStatus(ip.page, (s) => s.visible === want.length).catch(() => undefined);
      assert.deepEqual(await visibleIds(ip), want, name);
      // Rows are drawn on the next animation frame after the status line updates.
      await ip.page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('.rows .row').length === n, want.length, { timeout: 5000 }).catch(() => undefined);
      assert.equal(await ip.page.locator('.rows .row').count(), want.length, `${name}: rows on screen`);
    }
    // Filters persist in the webview state (vscode.setState).
    await ip.page.waitForFunction(() => (globalThis as any).__savedState?.filters?.text === 'Hello Bob');
  });

  test('an empty list says why, and names the button that helps: Clear Filters, not Clear List', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const { rows } = await status(page);
    assert.equal(await page.locator('#list-empty').isVisible(), false, 'no hint while rows show');
    assert.equal(await page.locator('#btn-clear').innerText(), 'Clear List');
    assert.equal(await page.locator('#btn-clear-filters').innerText(), 'Clear Filters');
    assert.equal(await page.locator('#btn-clear-filters').evaluate((el) => el.hasAttribute('disabled')), true, 'nothing to clear yet');
    await setText(ip, 'filter-jid', 'nobody@nowhere.test');
    await setSelect(ip, 'filter-kind', 'message');
    await page.locator('#list-empty', { hasText: `No stanza matches the filters. Clear Filters to see all ${rows}.` }).waitFor();
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('.rows .row').length === 0);
    // The hint's own button, from the keyboard: every filter emptied, nothing deleted.
    await page.locator('#list-empty-clear').focus();
    await page.keyboard.press('Enter');
    await page.locator('#list-empty').waitFor({ state: 'hidden' });
    assert.equal(await page.locator('#filter-jid').evaluate((el) => (el as any).value), '');
    assert.equal(await page.locator('#filter-kind').evaluate((el) => (el as any).value), '');
    assert.equal((await status(page)).visible, rows);
    // The toolbar's Clear Filters does the same.
    await setText(ip, 'filter-text', 'no such text anywhere');
    await page.locator('#list-empty').waitFor();
    await page.locator('#btn-clear-filters').click();
    await waitForStatus(page, (s) => s.visible === rows);
    assert.equal(await page.locator('#btn-clear-filters').evaluate((el) => el.hasAttribute('disabled')), true);
  });

  test('where a stanza came from and where it ended: popped from the outbox, dead-lettered, delivered later', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const { bridged, deadLetter, offline, delivery } = scenario.ids;
    // The bridge's stanza: its source is the list it was popped from, not the component session.
    await selectPacket(page, bridged!);
    const source = page.locator('#details .field', { has: page.locator('.label', { hasText: /^source$/ }) });
    assert.equal(await source.locator('.value').innerText(), 'popped from xmpp:outbox');
    assert.equal(await source.locator('code.queue-key').innerText(), 'xmpp:outbox');
    // The refused item: a row with its reason; the details show the lists and the item as text.
    const dead = page.locator(`.rows .row[data-packet="${deadLetter}"]`);
    assert.match(await dead.locator('.c-outcome').innerText(), /dead-lettered: .*"to"/);
    assert.deepEqual([await dead.locator('.c-from').innerText(), await dead.locator('.c-to').innerText()], ['xmpp:outbox', 'xmpp:outbox:dead']);
    await dead.click();
    await page.locator('#details .dead-reason').waitFor();
    const reason = scenario.events.find((e) => e.type === 'queue' && e.op === 'dead-letter');
    assert.equal(await page.locator('#details .dead-reason').innerText(), reason?.type === 'queue' ? reason.reason : '');
    assert.match(await page.locator('#details .xml-block pre').innerText(), /nowhere to go/);
    // The stored message: delivered later, linked both ways with the packet that delivered it.
    await selectPacket(page, rowOf(offline!));
    await page.locator(`#details .pass[data-pass="${offline}"] .outcome-step.outcome-delivered-later`).waitFor();
    await page.locator(`#details .links a.packet-link[data-packet="${delivery}"]`).click();
    await page.locator('#details .packet-id', { hasText: new RegExp(`^${delivery}$`) }).waitFor();
    assert.match(await page.locator('#details .detail-header .outcome').innerText(), /delivered/);
    assert.equal(await page.locator(`#details .links a.packet-link[data-packet="${offline}"]`).count(), 1, 'stored as: the stored packet');
  });

  test('while the sandbox is stopped, the banner says so and its button asks the host to start it', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page, backend } = ip;
    assert.equal(await page.locator('#banner').isVisible(), false, 'no banner while running');
    backend.setRunning(false);
    await page.locator('#banner', { hasText: 'The sandbox is not running' }).waitFor();
    await page.locator('#banner-start').click();
    await page.waitForFunction(() => true);
    for (let i = 0; i < 50 && ip.startRequests === 0; i++) await page.waitForTimeout(20);
    assert.equal(ip.startRequests, 1);
    backend.setRunning(true);
    await page.locator('#banner').waitFor({ state: 'hidden' });
  });

  test('a sandbox restart keeps the earlier run, marked, until Clear List', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page, backend } = ip;
    const { chat1 } = scenario.ids;
    const before = await status(page);
    await selectPacket(page, chat1!);
    backend.setRunning(false);
    backend.snapshot = [];
    backend.setRunning(true);
    // The selection follows its stanza, now of an earlier run; every row is still there.
    await page.locator('#details .badge.earlier-run').waitFor();
    assert.equal(await page.locator('#details .packet-id').innerText(), chat1);
    await page.locator(`.rows .row.selected.earlier[data-packet="${chat1}@1"]`).waitFor();
    assert.equal((await status(page)).rows, before.rows);
    assert.match((await page.locator(`.rows .row[data-packet="${chat1}@1"]`).getAttribute('aria-label')) ?? '', /earlier sandbox run/);
    // The new run reuses the ids: its stanzas are rows of their own, not the selected one.
    backend.emitTrace(scenario.events);
    await waitForStatus(page, (s) => s.rows === 2 * before.rows);
    const fresh = page.locator(`.rows .row[data-packet="${chat1}"]`);
    await fresh.waitFor();
    assert.equal(await fresh.getAttribute('aria-selected'), 'false');
    assert.equal(await fresh.evaluate((el) => el.classList.contains('earlier')), false);
    assert.match(await page.locator('#status').innerText(), /from an earlier run/);
    // A reload (the panel hidden and shown) gets both runs back from the host.
    await page.reload();
    await waitForStatus(page, (s) => s.rows === 2 * before.rows);
    assert.equal(await page.locator(`.rows .row.earlier[data-packet="${chat1}@1"]`).count(), 1);
    // Clear List forgets every run.
    await page.locator('#btn-clear').click();
    await waitForStatus(page, (s) => s.packets === 0);
    await page.locator('#list-empty', { hasText: 'No stanzas yet' }).waitFor();
    assert.equal(ip.controller.history.size, 0);
  });

  test('a c2s→c2s message: one stanza, its two passes as children in the details, each with four stages', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const { chat1, chat2 } = scenario.ids;
    await selectPacket(page, chat1!);
    await page.locator('#details .packet-id', { hasText: chat1 }).waitFor();
    assert.deepEqual(await page.locator('#details .pass').evaluateAll((els) => els.map((e) => (e as any).dataset.pass)), [chat1, chat2], 'the sender\u2019s pass, then the receiver\u2019s');
    // All four stages are listed in order in each pass; the ones the trace shows the packet in are
    // done, with their plugins; a stage with no events for it reads 'skipped'.
    const stageClasses = (id: string): Promise<string[]> =>
      page.locator(`#details .pass[data-pass="${id}"] .timeline .stage[data-stage]:not([data-stage="outcome"])`).evaluateAll((els) => els.map((e) => `${(e as any).dataset.stage}:${e.className}`));
    const wantStages = (id: string): string[] =>
      STAGES.map((st) => `${st}:stage ${scenario.events.some((e) => e.type === 'stage' && e.packetId === id && e.stage === st) ? 'done' : 'skipped'}`);
    for (const id of [chat1!, chat2!]) {
      assert.deepEqual(await stageClasses(id), wantStages(id), id);
      assert.ok((await stageClasses(id)).some((c) => c.endsWith('done')), `${id} went through at least one stage`);
      // Every plugin that saw it, with its verdict and µs.
      const plugins = await page.locator(`#details .pass[data-pass="${id}"] .plugin`).evaluateAll((els) => els.map((e) => (e as any).innerText as string));
      assert.equal(plugins.length, scenario.events.filter((e) => e.type === 'plugin' && e.packetId === id).length, id);
      for (const text of plugins) assert.match(text, /(passed|produced|handled|blocked|dropped|error|queue-full)[\s\S]*\d+(\.\d+)? (µs|ms)/);
    }
    assert.match(await page.locator(`#details .pass[data-pass="${chat1}"] .pass-title`).innerText(), /for the sender \(out\)[\s\S]*forwarded/);
    assert.match(await page.locator(`#details .pass[data-pass="${chat2}"] .pass-title`).innerText(), /for the receiver \(in\)[\s\S]*delivered/);
    assert.match(await page.locator('#details .detail-header .outcome').innerText(), /delivered/);
    // The stanza's XML once: the receiver's pass is not an output of its own.
    assert.equal(await page.locator(`#details .xml-block[data-xml="${chat1}"] pre`).count(), 1);
    assert.equal(await page.locator(`#details .xml-block[data-xml="${chat2}"]`).count(), 0);
    // A pass's link selects it: the row stays the stanza's, the pass is marked.
    await page.locator(`#details .pass-title a.packet-link[data-packet="${chat2}"]`).click();
    await page.locator(`#details .pass.selected-pass[data-pass="${chat2}"]`).waitFor();
    assert.equal(await page.locator(`.rows .row[data-packet="${chat1}"]`).getAttribute('aria-selected'), 'true');
    // On demand, the list shows both passes; the details then show the selected one, linked to its parent.
    await page.locator('#btn-passes').click();
    await page.locator(`.rows .row.selected[data-packet="${chat2}"]`).waitFor();
    assert.equal(await page.locator('#btn-passes').getAttribute('aria-pressed'), 'true');
    await page.waitForFunction(() => (globalThis as any).document.querySelectorAll('#details .pass').length === 1);
    assert.equal(await page.locator(`#details .links a.packet-link[data-packet="${chat1}"]`).count(), 1, 'link to the parent');
    const s = await status(page);
    assert.equal(s.visible, s.packets, 'every pass is a row');
    // Copy goes through the host (vscode.env.clipboard there).
    await page.locator(`#details [data-copy="${chat2}"]`).click();
    await waitUntil(() => ip.copied.length === 1);
    assert.match(ip.copied[0]!, /<message[\s\S]*<body>/);
  });

  test('keyboard: arrows, Home/End and PageUp/PageDown move the selection; the list names the active row', async (t) => {
    const ip = await open({ height: 400 });
    t.after(() => ip.close());
    const { page } = ip;
    const ids = await visibleIds(ip);
    const selectedIs = async (i: number): Promise<void> => {
      const id = ids[Math.max(0, Math.min(ids.length - 1, i))]!;
      await page.locator(`.rows .row.selected[data-packet="${id}"]`).waitFor();
      // aria-activedescendant names the selected row, whose label a screen reader reads.
      const active = await page.locator('#packets').getAttribute('aria-activedescendant');
      assert.ok(active, 'the list points at its active row');
      const row = page.locator(`#${active}`);
      assert.equal(await row.getAttribute('data-packet'), id);
      assert.equal(await row.getAttribute('role'), 'option');
      assert.match((await row.getAttribute('aria-label')) ?? '', /^\S+ from .+ to .+, .+, at \d\d:\d\d:\d\d\.\d{3}/);
    };
    await page.locator(`.rows .row[data-packet="${ids[1]}"]`).click();
    await page.locator('#packets').focus();
    await page.keyboard.press('ArrowDown');
    await selectedIs(2);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('ArrowUp');
    await selectedIs(0);
    await page.keyboard.press('End');
    await selectedIs(ids.length - 1);
    await page.keyboard.press('Home');
    await selectedIs(0);
    const pageRows = Math.floor((await page.locator('#packets').evaluate((el) => el.clientHeight)) / 22) - 1;
    assert.ok(pageRows >= 1 && ids.length > pageRows, 'the list is longer than one page');
    await page.keyboard.press('PageDown');
    await selectedIs(pageRows);
    await page.keyboard.press('PageUp');
    await selectedIs(0);
    await page.locator('#details .packet-id', { hasText: new RegExp(`^${ids[0]}$`) }).waitFor();
  });

  test('every action is reachable from the keyboard: Tab to a button, Enter presses it', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    // Tab from the last filter into the toolbar's buttons (focus order follows the page), then Enter.
    const reach = async (id: string): Promise<void> => {
      await page.locator('#filter-text input').focus();
      for (let i = 0; i < 20; i++) {
        if (await page.evaluate((want) => (globalThis as any).document.activeElement?.id === want, id)) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached #${id}`);
    };
    await reach('btn-passes');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('btn-passes').getAttribute('aria-pressed') === 'true');
    await reach('btn-pause');
    await page.keyboard.press('Enter');
    await waitForStatus(page, (s) => s.paused);
    await page.keyboard.press('Enter');
    await waitForStatus(page, (s) => !s.paused);
    // The composer's summary opens it; its fields follow in the Tab order.
    await page.locator('#composer-toggle').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('composer').open === true);
    // A link in the details is an anchor: Enter follows it.
    await selectPacket(page, scenario.ids.ping!);
    const link = page.locator(`#details .links a.packet-link[data-packet="${scenario.ids.pong}"]`).first();
    await link.focus();
    await page.keyboard.press('Enter');
    await page.locator('#details .packet-id', { hasText: new RegExp(`^${scenario.ids.pong}$`) }).waitFor();
  });

  test('an iq request links to its response (paired by id)', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    await page.locator(`.rows .row[data-packet="${scenario.ids.ping}"]`).click();
    const link = page.locator(`#details .links a.packet-link[data-packet="${scenario.ids.pong}"]`);
    await link.first().waitFor();
    assert.match(await page.locator('#details .links').innerText(), /response/);
  });

  test('pause keeps new events aside; resume shows them all', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const before = await status(page);
    await page.locator('#btn-pause').click();
    await waitForStatus(page, (s) => s.paused);
    const w = new TraceWriter({ after: scenario.events, prefix: 'live' });
    const [p1] = w.chat(scenario.jids.alice, 'bob@localhost', 'while paused');
    ip.backend.emitTrace(w.events);
    const streamed = summaries(w.events).length;
    await page.locator('#status', { hasText: `${streamed} new events waiting` }).waitFor();
    assert.equal((await status(page)).packets, before.packets, 'nothing added while paused');
    assert.equal(await page.locator(`.rows .row[data-packet="${p1}"]`).count(), 0);
    await page.locator('#btn-pause').click();
    const after = await waitForStatus(page, (s) => !s.paused && s.packets === before.packets + 2);
    assert.equal(after.events, before.events + streamed);
    await page.locator(`.rows .row[data-packet="${p1}"]`).waitFor();
  });

  test('a stanza whose stage timeline the sandbox\u2019s ring lost says so; its verdicts and outcome still show', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page, backend } = ip;
    const { ping } = scenario.ids;
    backend.forget([ping!]);
    await selectPacket(page, ping!);
    const pass = page.locator(`#details .pass[data-pass="${ping}"]`);
    assert.equal(await pass.getAttribute('data-timeline'), 'gone');
    assert.equal(await pass.locator('.timeline-note').innerText(), "The sandbox's trace buffer no longer holds this packet's stage timeline.");
    assert.equal(await pass.locator('.stage.done, .stage.skipped').count(), 0, 'no stage timeline invented');
    assert.equal(await pass.locator('.plugin').count(), scenario.events.filter((e) => e.type === 'plugin' && e.packetId === ping).length, 'the verdicts of the summary');
    await pass.locator('.outcome-step').waitFor();
    // Another stanza still gets its timeline.
    await selectPacket(page, scenario.ids.pong!);
    assert.equal(await page.locator(`#details .pass[data-pass="${scenario.ids.pong}"]`).getAttribute('data-timeline'), 'full');
  });

  test('packets left out under a flood are counted in the status line until Clear List', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page, backend } = ip;
    backend.emit({ type: 'trace', events: [], dropped: 3 });
    backend.emit({ type: 'trace', events: [], dropped: 4 });
    await page.locator('#status', { hasText: '\u00b7 7 left out' }).waitFor();
    assert.equal((await status(page)).leftOut, 7);
    await page.locator('#btn-clear').click();
    await waitForStatus(page, (s) => s.packets === 0 && s.leftOut === 0);
    assert.doesNotMatch(await page.locator('#status').innerText(), /left out/);
  });

  test('export writes the visible events as JSON lines through the host', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    await setSelect(ip, 'filter-kind', 'message');
    const want = expected((a) => a?.kind === 'message');
    await waitForStatus(page, (s) => s.visible === want.length);
    await page.locator('#btn-export').click();
    await waitUntil(() => ip.saved.length === 1);
    const lines = ip.saved[0]!.trimEnd().split('\n').map((l) => JSON.parse(l) as TraceEvent);
    // Each visible row with both its passes, stage events included (fetched for the export).
    const packets = new Set(scenario.events.filter((e) => e.type !== 'queue' && want.includes(rowOf(e.packetId))).map((e) => e.packetId));
    const wantEvents = scenario.events.filter((e) => e.type !== 'queue' && packets.has(e.packetId));
    assert.deepEqual(lines, JSON.parse(JSON.stringify(wantEvents)), 'exactly the visible packets\u2019 events, in seq order, unchanged');
    assert.ok(lines.some((e) => e.type === 'stage'), 'the stage timelines, which the live stream left out');
    await page.waitForFunction(() => (globalThis as any).document.getElementById('status').dataset.exported === '/tmp/fake-export.jsonl');
  });

  test('stanza text is never markup: XSS bodies show literally, nothing runs', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const scripts = await page.locator('script').count();
    for (const [i, id] of [scenario.ids.xss1!, scenario.ids.xss2!].entries()) {
      await page.locator(`.rows .row[data-packet="${id}"]`).click();
      await page.locator('#details .packet-id', { hasText: id }).waitFor();
      assert.equal(await page.locator('#details .body-text').innerText(), XSS_BODIES[i], 'the body as the user sent it');
      const xml = await page.locator(`#details .xml-block[data-xml="${id}"] pre`).innerText();
      assert.ok(xml.includes(XSS_BODIES[i]!.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')), 'the XML source, escaped as on the wire');
    }
    await page.waitForTimeout(200);
    assert.deepEqual(ip.dialogs, [], 'no alert fired');
    assert.equal(await page.locator('img').count(), 0, 'no <img> element was created');
    assert.equal(await page.locator('script').count(), scripts, 'no script element was added');
    assert.deepEqual(ip.pageErrors, []);
  });

  test('defence in depth: even injected markup could not run script under the panel’s CSP', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    await page.evaluate(() => {
      const d = (globalThis as any).document;
      d.body.insertAdjacentHTML('beforeend', '<img src="x" onerror="window.__pwned = 1"><script>window.__pwned = 2</script>');
      const s = d.createElement('script');
      s.textContent = 'window.__pwned = 3';
      d.body.appendChild(s);
    });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => (globalThis as any).__pwned), undefined);
    assert.ok(ip.console.some((c) => /Content Security Policy/.test(c)), 'the CSP refused them');
    ip.console.length = 0; // expected violations: do not fail the page's close check
    await page.evaluate(() => (globalThis as any).document.querySelectorAll('body > img, body > script:not([src])').forEach((e: any) => e.remove()));
  });

  test('composer: validates XML, sends through the host, selects the new stanza\u2019s trace', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page, backend } = ip;
    const w = new TraceWriter({ after: scenario.events, prefix: 'inj' });
    const emitted: TraceEvent[] = [];
    backend.onInject = (as) => {
      const [req] = w.ping(as, scenario.domain, 'inspector-ping');
      const batch = w.events.splice(0);
      emitted.push(...batch);
      setTimeout(() => backend.emitTrace(batch), 30);
      return req;
    };
    await page.locator('#composer-toggle').click();
    // Open the session dropdown as a person would (its popup is styled under the CSP too).
    await page.locator('#composer-session').click();
    await page.locator('#composer-session').press('Escape');
    await setSelect(ip, 'composer-session', scenario.jids.alice);
    assert.equal(await page.locator('#composer-as').evaluate((el) => (el as any).value), scenario.jids.alice);
    // Not XML: immediate feedback, Send disabled.
    await page.locator('#composer-xml textarea').fill('<message to="bob@localhost"><body>oops</message>');
    await page.locator('#composer-status.error').waitFor();
    assert.equal(await page.locator('#composer-send').evaluate((el) => (el as any).disabled), true);
    // The sandbox's stanza validator, bundled into the webview: its message, with the position.
    assert.match(await page.locator('#composer-status').innerText(), /^XML: not well-formed XML: <body> closed by <\/message> \(line 1, column 39\)$/);
    await page.locator('#composer-xml textarea').fill('<stream:features xmlns:stream="http://etherx.jabber.org/streams"/>');
    assert.match(await page.locator('#composer-status').innerText(), /message\/>, <presence\/> or <iq\/>/);
    // Restricted XML (RFC 6120 §11.1), which the browser's DOMParser would have accepted.
    await page.locator('#composer-xml textarea').fill('<message to="bob@localhost"><!-- c --><body>hi</body></message>');
    assert.match(await page.locator('#composer-status').innerText(), /^XML: restricted XML: comment /);
    assert.equal(await page.locator('#composer-send').evaluate((el) => (el as any).disabled), true);
    // A template, then send.
    await setSelect(ip, 'composer-template', 'ping');
    assert.match(await page.locator('#composer-xml').evaluate((el) => (el as any).value), /urn:xmpp:ping/);
    assert.equal(await page.locator('#composer-send').evaluate((el) => (el as any).disabled), false);
    await page.locator('#composer-send').click();
    await page.locator('#details .packet-id', { hasText: 'inj1' }).waitFor();
    await page.locator('#details .pass[data-pass="inj1"][data-timeline="full"]').waitFor();
    assert.equal(backend.injected.length, 1);
    assert.equal(backend.injected[0]!.as, scenario.jids.alice);
    assert.match(backend.injected[0]!.xml, /<ping xmlns="urn:xmpp:ping"\/>/);
    assert.equal(await page.locator('#details .timeline .stage.done').count(), emitted.filter((e) => e.type === 'stage' && e.packetId === 'inj1' && e.phase === 'leave').length);
    assert.match((await page.locator('#composer-history').textContent()) ?? '', /inj1/);
    await page.waitForFunction(() => (globalThis as any).__savedState?.sent?.[0]?.packetId === 'inj1');
  });

  test('filters and selection survive a reload (webview state)', async (t) => {
    const state = {
      filters: { jid: '', kind: 'iq' as const, stanzaType: '', xmlns: '', outcome: '', plugin: '', text: '' },
      selected: scenario.ids.ping!,
      sent: [],
      composer: { as: scenario.jids.bob, xml: '<presence/>', template: '' },
    };
    const ip = await open({ state });
    t.after(() => ip.close());
    const { page } = ip;
    assert.deepEqual(await visibleIds(ip), expected((a) => a?.kind === 'iq'));
    await page.locator('#details .packet-id', { hasText: scenario.ids.ping! }).waitFor();
    assert.equal(await page.locator('#filter-kind').evaluate((el) => (el as any).value), 'iq');
    assert.equal(await page.locator('#composer-as').evaluate((el) => (el as any).value), scenario.jids.bob);
  });

  test('100,000 events: every packet indexed, rows virtualized, the last one reachable', async (t) => {
    const bulk = bulkTrace(100_000);
    const started = Date.now();
    const ip = await open({}, bulk.events);
    t.after(() => ip.close());
    const { page } = ip;
    const loadMs = Date.now() - started;
    const s = await status(page);
    assert.equal(s.events, summaries(bulk.events).length);
    assert.equal(s.packets, bulk.packets, 'no packet dropped');
    const rows = await page.locator('.rows .row').count();
    assert.ok(rows < 100, `only the visible rows are in the DOM (${rows})`);
    await page.locator('#packets').evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.locator(`.rows .row[data-packet="${bulk.lastRow}"]`).waitFor();
    await page.locator('#packets').evaluate((el) => (el.scrollTop = 0));
    await page.locator('.rows .row[data-packet="p1"]').waitFor();
    const stats = await page.evaluate(() => (globalThis as any).__inspector.stats as { ingestMs: number; batches: number });
    t.diagnostic(`${bulk.events.length} events, ${bulk.packets} packets: shown ${loadMs} ms after opening the page; indexing in the webview took ${stats.ingestMs.toFixed(0)} ms over ${stats.batches} batches`);
  });
});

async function waitUntil(pred: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition never held');
    await new Promise((r) => setTimeout(r, 20));
  }
}
