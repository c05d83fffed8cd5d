// The inspector webview in Chromium with a fake VS Code host (harness.ts) replaying a trace:
// rows, filters, the stage timeline, pause, export, XSS, composer, scale, themes.

import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { TraceEvent } from '../../sandbox/trace/events';
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
    const total = events.filter((e) => e.type !== 'queue').length;
    await waitForStatus(ip.page, (s) => s.events === total);
    return ip;
  }

  function packetCount(events: TraceEvent[]): number {
    return new Set(events.filter((e) => e.type !== 'queue').map((e) => e.packetId)).size;
  }

  test('renders one row per packet, with addresses, kind and outcome', async (t) => {
    const ip = await open();
    t.after(() => ip.close());
    const { page } = ip;
    const s = await status(page);
    assert.equal(s.packets, packetCount(scenario.events));
    assert.equal(await page.locator('.rows .row').count(), s.packets, 'every packet is on screen (fewer rows than the viewport)');
    const row = page.locator(`.rows .row[data-packet="${scenario.ids.chat1}"]`);
    assert.match(await row.locator('.c-addr').innerText(), /alice@localhost\/\w+ → bob@localhost/);
    assert.equal(await row.locator('.c-kind').innerText(), 'message/chat');
    assert.match(await row.locator('.c-outcome').innerText(), /forwarded/);
    assert.match(await page.locator(`.rows .row[data-packet="${scenario.ids.offline}"] .c-outcome`).innerText(), /stored offline/);
    assert.match(await page.locator(`.rows .row[data-packet="${scenario.ids.ping}"] .c-xmlns`).innerText(), /urn:xmpp:ping/);
    assert.deepEqual(ip.pageErrors, []);
    assert.deepEqual(ip.console.filter((c) => /Content Security Policy|Refused/.test(c)), [], 'no CSP violation');
  });

  for (const theme of ['dark', 'light'] as const) {
    test(`screenshot, ${theme} theme`, async (t) => {
      const ip = await open({ theme });
      t.after(() => ip.close());
      const { page } = ip;
      await page.locator(`.rows .row[data-packet="${scenario.ids.chat1}"]`).click();
      await page.locator('.timeline .stage').first().waitFor();
      await page.evaluate(() => (globalThis as any).document.fonts.ready);
      const file = `${RESULTS}/inspector-${theme}.png`;
      await page.screenshot({ path: file });
      if (theme === 'dark') await copyFile(file, 'media/screenshot-inspector.png');
      const bg = await page.evaluate(() => { const g = globalThis as any; return g.getComputedStyle(g.document.body).backgroundColor; });
      assert.equal(bg, theme === 'dark' ? 'rgb(31, 31, 31)' : 'rgb(255, 255, 255)', 'the theme variables reach the page');
    });
  }
});
