// The panel's HTML (src/inspector/html.ts): strict CSP, nonce on the scripts, attributes escaped.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspectorCsp, renderInspectorHtml } from '../../../src/inspector/html';

test('CSP: nothing by default, scripts only by nonce, styles/fonts/images only from the extension, no unsafe-inline', () => {
  const csp = inspectorCsp('https://ext.vscode-cdn.net', 'abc123');
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
  assert.equal(directives['default-src'], "'none'");
  assert.equal(directives['script-src'], "'nonce-abc123'");
  assert.equal(directives['style-src'], 'https://ext.vscode-cdn.net');
  assert.equal(directives['font-src'], 'https://ext.vscode-cdn.net');
  assert.equal(directives['img-src'], 'https://ext.vscode-cdn.net');
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.match(directives['style-src-attr']!, /^'unsafe-hashes'( 'sha256-[A-Za-z0-9+/=]+'){2}$/);
});

test('the page: CSP meta first, the nonce on the one script, URIs escaped', () => {
  const html = renderInspectorHtml({ cspSource: 'vscode-webview://x', nonce: 'N0nce+/=', scriptUri: 'https://a/webview.js?x="><script>', styleUri: 'https://a/webview.css' });
  assert.ok(html.indexOf('Content-Security-Policy') < html.indexOf('<link'), 'CSP before any resource');
  const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
  assert.equal(scripts.length, 1);
  assert.match(scripts[0]!, /nonce="N0nce\+\/="/);
  assert.ok(html.includes('x=&quot;&gt;') || html.includes('x=&quot;>'), 'quotes in a URI cannot close the attribute');
  assert.ok(!html.includes('"><script>'));
});
