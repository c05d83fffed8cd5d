// The Scansion TextMate grammar (syntaxes/scansion.tmLanguage.json), tokenized by the same
// vscode-textmate + oniguruma that VS Code uses (from the code-server under .tools/,
// scripts/install-tools.sh), with VS Code's own XML grammar for the embedded stanzas: each
// construct of a script gets its scope.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';

const ROOT = join(__dirname, '../../..');
const VSCODE = join(ROOT, '.tools/node_modules/code-server/lib/vscode');
const requireVscode = createRequire(join(VSCODE, 'package.json'));

interface Token {
  startIndex: number;
  endIndex: number;
  scopes: string[];
}
interface Grammar {
  tokenizeLine(line: string, stack: unknown): { tokens: Token[]; ruleStack: unknown };
}

async function scansionGrammar(): Promise<Grammar> {
  const oniguruma = requireVscode('vscode-oniguruma') as {
    loadWASM(data: ArrayBuffer | Uint8Array): Promise<void>;
    OnigScanner: new (patterns: string[]) => unknown;
    OnigString: new (s: string) => unknown;
  };
  const textmate = requireVscode('vscode-textmate') as {
    Registry: new (opts: unknown) => { loadGrammar(scope: string): Promise<Grammar | null> };
    parseRawGrammar(content: string, path: string): unknown;
    INITIAL: unknown;
  };
  const wasm = readFileSync(requireVscode.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) as ArrayBuffer);
  const files: Record<string, string> = {
    'source.scansion': join(ROOT, 'syntaxes/scansion.tmLanguage.json'),
    'text.xml': join(VSCODE, 'extensions/xml/syntaxes/xml.tmLanguage.json'),
  };
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s: string) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope: string) => (files[scope] ? textmate.parseRawGrammar(readFileSync(files[scope], 'utf8'), files[scope]) : null),
  });
  const grammar = await registry.loadGrammar('source.scansion');
  assert.ok(grammar);
  return grammar;
}

const SCRIPT = [
  '# Romeo pings',
  '# A description line.',
  '## status: stable',
  '',
  '[Client] Romeo',
  '\tjid: romeo@localhost',
  '',
  '---------',
  '',
  '# a comment',
  'Romeo connects',
  'Romeo sends:',
  '\t<iq type="get" to="${Juliet\'s JID}" id="{scansion:any}">',
  '\t\t<ping xmlns="urn:xmpp:ping"/>',
  '\t</iq>',
  'Romeo receives within 5s:',
  '\t<iq type="result"/>',
  'Romeo receives: nothing',
  'Jobs pushes:',
  '\thello',
  'Romeo disconnects',
];

test('the grammar scopes titles, tags, comments, characters, properties, actions, variables and the embedded XML', async () => {
  const grammar = await scansionGrammar();
  const found: [string, string][] = [];
  let stack: unknown = (requireVscode('vscode-textmate') as { INITIAL: unknown }).INITIAL;
  for (const line of SCRIPT) {
    const r = grammar.tokenizeLine(line, stack);
    stack = r.ruleStack;
    for (const t of r.tokens) found.push([line.slice(t.startIndex, t.endIndex), t.scopes.join(' ')]);
  }
  const scopesOf = (text: string, nth = 0) => found.filter(([t]) => t.trim() === text)[nth]?.[1] ?? `(no token '${text}')`;
  assert.match(scopesOf('Romeo pings'), /markup\.heading\.title\.scansion/);
  assert.match(scopesOf('A description line.'), /comment\.line\.number-sign\.scansion/);
  assert.doesNotMatch(scopesOf('A description line.'), /markup\.heading/);
  assert.match(scopesOf('status'), /entity\.name\.tag\.scansion/);
  assert.match(scopesOf('stable'), /string\.unquoted\.tag-value\.scansion/);
  assert.match(scopesOf('Client'), /storage\.type\.class\.scansion/);
  assert.match(scopesOf('Romeo'), /entity\.name\.type\.character\.scansion/);
  assert.match(scopesOf('jid'), /variable\.other\.property\.scansion/);
  assert.match(scopesOf('---------'), /keyword\.operator\.separator\.scansion/);
  assert.match(scopesOf('connects'), /keyword\.control\.action\.scansion/);
  assert.match(scopesOf('sends'), /keyword\.control\.action\.scansion/);
  assert.match(scopesOf('5s'), /constant\.numeric\.timeout\.scansion/);
  assert.match(scopesOf('nothing'), /constant\.language\.nothing\.scansion/);
  assert.match(scopesOf('pushes'), /keyword\.control\.action\.scansion/);
  assert.match(scopesOf('disconnects'), /keyword\.control\.action\.scansion/);
  // The stanza: VS Code's XML grammar inside meta.embedded.block.xml (package.json maps it to xml),
  // with ${…} and {scansion:any} recognised inside attribute values.
  assert.match(scopesOf('iq'), /meta\.embedded\.block\.xml.*entity\.name\.tag\.localname\.xml/);
  assert.match(scopesOf('ping'), /meta\.embedded\.block\.xml.*entity\.name\.tag/);
  assert.match(scopesOf("Juliet's JID"), /string\.quoted\.double\.xml.*variable\.other\.reference\.scansion/);
  assert.match(scopesOf('{scansion:any}'), /constant\.language\.any\.scansion/);
  // The body ends at the next unindented line (the 4th Romeo: 'Romeo receives within 5s:').
  assert.match(scopesOf('Romeo', 3), /^source\.scansion entity\.name\.type\.character\.scansion$/);
});
