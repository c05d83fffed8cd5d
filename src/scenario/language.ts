// The editor's help for scenario scripts (.scs, the `scansion` language): diagnostics,
// completion and hovers. Every rule comes from the engine: problems are the scenario parser's
// own errors with their lines (sandbox/scenario/parser.ts: malformed XML through the stream's
// restricted-XML parser, unknown characters, unknown actions, …), plus, as warnings, what the
// stanza validator (sandbox/xmpp/stanza-validator.ts) says of a `sends:` stanza that is XML
// but not a stanza a server accepts (a script may send one on purpose, to test the error). A
// namespace's hover reads the vocabulary's NAMESPACE_SPECS.

import * as vscode from 'vscode';
import { parseScenario, VARIABLE, type Script } from '../../sandbox/scenario/parser';
import { validateStanza } from '../../sandbox/xmpp/stanza-validator';
import { NAMESPACE_SPECS, specUrl } from '../../sandbox/xmpp/vocabulary';
import { SCANSION_LANGUAGE } from './controller';

const SOURCE = 'scansion';
/** What stands in for a `${…}` while the validator checks a stanza: a valid JID, so only the script's own faults show. */
const VARIABLE_PLACEHOLDER = 'scansion-variable';

const isScenario = (doc: vscode.TextDocument) => doc.languageId === SCANSION_LANGUAGE;

/** A whole line's text, leading whitespace left out, as a diagnostic's range. */
function lineRange(doc: vscode.TextDocument, line: number): vscode.Range {
  const l = doc.lineAt(Math.min(Math.max(0, line - 1), doc.lineCount - 1));
  return new vscode.Range(l.lineNumber, l.firstNonWhitespaceCharacterIndex, l.lineNumber, l.text.length);
}

/** The problems of a script: the parser's errors, and the validator's warnings on sent stanzas. */
export function scenarioDiagnostics(doc: vscode.TextDocument, script: Script = parseScenario(doc.getText(), doc.uri.fsPath)): vscode.Diagnostic[] {
  const out = script.errors.map((e) => {
    const d = new vscode.Diagnostic(lineRange(doc, e.line), e.message, vscode.DiagnosticSeverity.Error);
    d.source = SOURCE;
    return d;
  });
  const classOf = new Map(script.characters.map((c) => [c.name, c.class]));
  for (const a of script.actions) {
    if (a.verb !== 'sends' || !a.body || classOf.get(a.actor) === 'Queue') continue;
    const v = validateStanza(a.body.replace(VARIABLE, VARIABLE_PLACEHOLDER));
    // Bad XML is already the parser's error; the rest is a warning, since a script may mean it.
    if (v.ok || v.condition === 'xml-invalid') continue;
    const d = new vscode.Diagnostic(lineRange(doc, a.bodyLine!), `not a stanza a server accepts (${v.condition}): ${v.message}`, vscode.DiagnosticSeverity.Warning);
    d.source = SOURCE;
    out.push(d);
  }
  return out;
}

/** `${Name's full JID}` and `${Name's JID}` of every character that has a JID. */
function variableItems(script: Script, range: vscode.Range): vscode.CompletionItem[] {
  return script.characters
    .filter((c) => c.class !== 'Queue')
    .flatMap((c) =>
      (['full JID', 'JID'] as const).map((form) => {
        const text = `\${${c.name}'s ${form}}`;
        const item = new vscode.CompletionItem(text, vscode.CompletionItemKind.Variable);
        item.detail = form === 'full JID' ? `the JID ${c.name} is bound to` : c.class === 'Component' ? "the component's domain" : `${c.name}'s bare JID`;
        item.documentation = c.properties.jid?.value;
        item.range = range;
        item.filterText = text;
        item.insertText = text;
        return item;
      }),
    );
}

/** The characters' names, for the start of a step line (after the line of dashes). */
function characterItems(script: Script, range: vscode.Range): vscode.CompletionItem[] {
  return script.characters.map((c) => {
    const item = new vscode.CompletionItem(c.name, vscode.CompletionItemKind.Class);
    item.detail = `[${c.class}]${c.properties.jid ? ` ${c.properties.jid.value}` : c.properties.list ? ` ${c.properties.list.value}` : ''}`;
    item.range = range;
    item.insertText = `${c.name} `;
    // Sorted before the snippets, which also offer themselves at the start of a line.
    item.sortText = `0${c.name}`;
    return item;
  });
}

export const completionProvider: vscode.CompletionItemProvider = {
  provideCompletionItems(doc, position) {
    const before = doc.lineAt(position.line).text.slice(0, position.character);
    const script = parseScenario(doc.getText(), doc.uri.fsPath);
    // Inside `${…`: replace from the `${` to the cursor, and a `}` the editor closed for us.
    const open = /\$\{[^}]*$/.exec(before);
    if (open) {
      const after = doc.lineAt(position.line).text.slice(position.character);
      const end = after.startsWith('}') ? position.translate(0, 1) : position;
      return variableItems(script, new vscode.Range(position.line, open.index, end.line, end.character));
    }
    const separator = script.nodes.find((n) => n.type === 'separator');
    if (!separator || position.line + 1 <= separator.line) return undefined;
    if (/^\s/.test(before) || before.startsWith('#')) return undefined;
    // Before the verb: what is typed so far is (a prefix of) the name, spaces allowed.
    if (/\b(connects|disconnects|sends|receives|pushes)\b/.test(before)) return undefined;
    return characterItems(script, new vscode.Range(position.line, 0, position.line, position.character));
  },
};

/** `xmlns="…"` and `xmlns:prefix="…"` with the value's span. */
const XMLNS = /\bxmlns(?::[\w.-]+)?\s*=\s*(["'])([^"']*)\1/g;

export const hoverProvider: vscode.HoverProvider = {
  provideHover(doc, position) {
    const text = doc.lineAt(position.line).text;
    for (const m of text.matchAll(XMLNS)) {
      const start = m.index;
      const end = start + m[0].length;
      if (position.character < start || position.character > end) continue;
      const ns = m[2]!;
      const spec = NAMESPACE_SPECS[ns];
      if (!spec) return undefined;
      const md = new vscode.MarkdownString();
      md.appendMarkdown(`**[${spec.spec}](${specUrl(spec.spec)})**: ${spec.title}\n\n`);
      md.appendCodeblock(ns, 'text');
      return new vscode.Hover(md, new vscode.Range(position.line, start, position.line, end));
    }
    return undefined;
  },
};

/** Diagnostics kept current for every open script; completion and hovers for the language. */
export function registerScenarioLanguage(): vscode.Disposable {
  const diagnostics = vscode.languages.createDiagnosticCollection(SOURCE);
  const refresh = (doc: vscode.TextDocument) => {
    if (isScenario(doc)) diagnostics.set(doc.uri, scenarioDiagnostics(doc));
  };
  vscode.workspace.textDocuments.forEach(refresh);
  const selector: vscode.DocumentSelector = { language: SCANSION_LANGUAGE };
  return vscode.Disposable.from(
    diagnostics,
    vscode.workspace.onDidOpenTextDocument(refresh),
    vscode.workspace.onDidChangeTextDocument((e) => refresh(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => diagnostics.delete(doc.uri)),
    vscode.languages.registerCompletionItemProvider(selector, completionProvider, '{', '$'),
    vscode.languages.registerHoverProvider(selector, hoverProvider),
  );
}
