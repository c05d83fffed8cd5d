// The repository's import graph, read with the TypeScript compiler's parser, and the checks
// that keep the three rooms apart (README "Layout"; test/architecture.test.ts holds the data).
//
// Every module reference is an edge: import/export … from, import x = require(), import(),
// require() and type positions (`typeof import('x')`). An edge is type-only when nothing of it
// survives compilation: `import type`, `export type`, an import or export whose every named
// specifier is `type`, and import types. Everything else counts as a value import, even when
// its bindings happen to be used only as types (the compiler may drop it; the rule does not).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { posix, join, relative, sep } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** The importing file, relative to the repository root, with '/' separators. */
  from: string;
  /** 1-based line of the reference. */
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** True when the reference is erased by compilation (see the header). */
  typeOnly: boolean;
  /** For a relative specifier: the repository file it resolves to (or, unresolved, the joined path). */
  file?: string;
  /** For a bare specifier: the package name ('vscode', '@xmpp/xml', 'node:fs', …). */
  pkg?: string;
}

export interface ImportGraph {
  files: readonly string[];
  edges: readonly ImportEdge[];
}

const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;
const RESOLVE_SUFFIXES = ['', '.ts', '.tsx', '.d.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '/index.ts', '/index.tsx', '/index.js'];

/** Where an edge points, for messages: the resolved file or the package. */
export function target(e: ImportEdge): string {
  return e.file ?? e.pkg ?? e.specifier;
}

export function describe(e: ImportEdge): string {
  return `${e.from}:${e.line} imports '${e.specifier}'${e.typeOnly ? ' (type-only)' : ''}`;
}

export function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function isNodeBuiltin(pkg: string): boolean {
  return pkg.startsWith('node:') || builtinModules.includes(pkg);
}

function scriptKind(path: string): ts.ScriptKind {
  if (/\.[cm]?tsx?$/.test(path)) return path.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  return path.endsWith('x') ? ts.ScriptKind.JSX : ts.ScriptKind.JS;
}

function allNamedAreTypes(elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean {
  return elements.length > 0 && elements.every((el) => el.isTypeOnly);
}

/** The module references in one file's text (specifier, line, typeOnly), in source order. */
export function parseImports(path: string, text: string): { line: number; specifier: string; typeOnly: boolean }[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, scriptKind(path));
  const out: { line: number; specifier: string; typeOnly: boolean }[] = [];
  const add = (node: ts.Node, spec: ts.Node | undefined, typeOnly: boolean): void => {
    if (!spec || !ts.isStringLiteralLike(spec)) return; // a computed import('…' + x) names no module
    out.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, specifier: spec.text, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const c = node.importClause;
      const typeOnly =
        c !== undefined &&
        (c.phaseModifier === ts.SyntaxKind.TypeKeyword ||
          (c.name === undefined && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && allNamedAreTypes(c.namedBindings.elements)));
      add(node, node.moduleSpecifier, typeOnly);
    } else if (ts.isExportDeclaration(node)) {
      const typeOnly = node.isTypeOnly || (node.exportClause !== undefined && ts.isNamedExports(node.exportClause) && allNamedAreTypes(node.exportClause.elements));
      add(node, node.moduleSpecifier, typeOnly);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly);
    } else if (ts.isImportTypeNode(node)) {
      add(node, ts.isLiteralTypeNode(node.argument) ? node.argument.literal : undefined, true);
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require' && node.arguments.length === 1)) {
        add(node, node.arguments[0], false);
      }
    } else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) {
      return; // `declare module 'x' { … }` declares a module; it imports nothing
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** Resolves a relative specifier against the set of files (bundler resolution: extensionless, index, .js → .ts). */
export function resolveRelative(from: string, specifier: string, has: (file: string) => boolean): string {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stems = /\.[cm]?js$/.test(joined) ? [joined, joined.replace(/js$/, 'ts')] : [joined];
  for (const stem of stems) for (const suffix of RESOLVE_SUFFIXES) if (has(stem + suffix)) return stem + suffix;
  return joined;
}

/** The graph of the given files (path → text); relative specifiers resolve among those paths. */
export function buildGraph(sources: ReadonlyMap<string, string>): ImportGraph {
  const edges: ImportEdge[] = [];
  const has = (f: string): boolean => sources.has(f);
  for (const [from, text] of sources) {
    if (!SOURCE.test(from)) continue;
    for (const ref of parseImports(from, text)) {
      const edge: ImportEdge = { from, ...ref };
      if (ref.specifier.startsWith('.')) edge.file = resolveRelative(from, ref.specifier, has);
      else edge.pkg = packageName(ref.specifier);
      edges.push(edge);
    }
  }
  return { files: [...sources.keys()].sort(), edges };
}

/** Every file under the given folders of `root` (relative paths with '/'), with its text for source files. */
export function readTree(root: string, folders: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name === 'node_modules') continue;
      const abs = join(dir, name);
      if (statSync(abs).isDirectory()) walk(abs);
      else out.set(relative(root, abs).split(sep).join('/'), SOURCE.test(name) ? readFileSync(abs, 'utf8') : '');
    }
  };
  for (const f of folders) if (existsSync(join(root, f))) walk(join(root, f));
  return out;
}

const under = (file: string, folder: string): boolean => file.startsWith(folder.endsWith('/') ? folder : `${folder}/`);
const isVscode = (e: ImportEdge): boolean => e.pkg === 'vscode';

// ---------------------------------------------------------------------------------------------
// The rules. Each returns one message per violation (empty: the rule holds).

/** (a) The sandbox runs without VS Code: nothing under sandbox/ names `vscode`, not even for types. */
export function sandboxImportsVscode(g: ImportGraph): string[] {
  return g.edges.filter((e) => under(e.from, 'sandbox') && isVscode(e)).map((e) => `${describe(e)}: sandbox/ must not import vscode`);
}

/**
 * (b) The webview shares exactly one repository file with the host, `shared` (src/protocol.ts),
 * including the files that one re-exports (they are reached through it, never directly). And
 * what it reaches through `shared` by value is bundled for the browser: no vscode, no Node builtin.
 */
export function webviewImportsOutsideProtocol(g: ImportGraph, shared: string): string[] {
  const out: string[] = [];
  for (const e of g.edges) {
    if (!under(e.from, 'webview') || e.file === undefined || under(e.file, 'webview') || e.file === shared) continue;
    out.push(`${describe(e)}: webview/ may import from the repository only ${shared}`);
  }
  for (const { edge, via } of valueReach(g, shared)) {
    if (edge.pkg !== undefined && (edge.pkg === 'vscode' || isNodeBuiltin(edge.pkg))) {
      out.push(`${describe(edge)}${via.length ? ` (reached from ${[shared, ...via].join(' → ')})` : ''}: ${shared} is bundled into the webview, so it reaches no vscode and no Node builtin`);
    }
  }
  return out;
}

/** (c) src/ takes values from sandbox/ only out of the allow-listed pure modules; `import type` is free. */
export function srcValueImportsFromSandbox(g: ImportGraph, allowed: ReadonlySet<string>): string[] {
  return g.edges
    .filter((e) => under(e.from, 'src') && !e.typeOnly && e.file !== undefined && under(e.file, 'sandbox') && !allowed.has(e.file))
    .map((e) => `${describe(e)}: src/ may take values from sandbox/ only out of the allow-list (${e.file} is not on it)`);
}

/**
 * (c, continued) Each allow-listed module is pure: its value imports stay within the allow-list,
 * Node builtins and the listed npm packages. Checked for every entry, so purity holds transitively.
 * Entries missing from the graph are skipped (the caller reports them).
 */
export function impureAllowListed(g: ImportGraph, allowed: ReadonlySet<string>, packages: ReadonlySet<string>): string[] {
  return g.edges
    .filter((e) => allowed.has(e.from) && !e.typeOnly)
    .filter((e) => (e.file !== undefined ? !allowed.has(e.file) : !(isNodeBuiltin(e.pkg!) || packages.has(e.pkg!))))
    .map((e) => `${describe(e)}: ${e.from} is allow-listed as pure, but ${target(e)} is neither allow-listed, a Node builtin nor a listed package`);
}

/** (d) No value-level import cycle among the files under `folders` (type-only edges do not count). */
export function valueCycles(g: ImportGraph, folders: readonly string[]): string[] {
  const inScope = (f: string): boolean => folders.some((d) => under(f, d));
  const next = new Map<string, ImportEdge[]>();
  for (const e of g.edges) {
    if (e.typeOnly || e.file === undefined || !inScope(e.from) || !inScope(e.file)) continue;
    next.set(e.from, [...(next.get(e.from) ?? []), e]);
  }
  return stronglyConnected([...new Set(g.edges.map((e) => e.from))].filter(inScope).sort(), (f) => (next.get(f) ?? []).map((e) => e.file!))
    .filter((scc) => scc.length > 1 || (next.get(scc[0]!) ?? []).some((e) => e.file === scc[0]))
    .map((scc) => {
      const members = new Set(scc);
      const inside = scc.flatMap((f) => (next.get(f) ?? []).filter((e) => members.has(e.file!)));
      return `value-import cycle: ${shortestCycle(scc[0]!, inside).join(' → ')} (all ${scc.length} files in the cycle: ${scc.join(', ')}; their imports: ${inside.map((e) => `${e.from}:${e.line} → ${e.file}`).join('; ')})`;
    });
}

/** Tarjan's strongly connected components, each sorted, in a stable order. */
function stronglyConnected(nodes: readonly string[], succ: (n: string) => string[]): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  let counter = 0;
  const strong = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of succ(v)) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      out.push(scc.sort());
    }
  };
  for (const n of nodes) if (!index.has(n)) strong(n);
  return out.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The shortest path start → … → start over the given edges, as 'file:line' hops. */
function shortestCycle(start: string, edges: readonly ImportEdge[]): string[] {
  const prev = new Map<string, ImportEdge>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    for (const e of edges.filter((x) => x.from === queue[i])) {
      if (e.file === start) {
        const hops = [e];
        for (let at = e.from; at !== start; at = prev.get(at)!.from) hops.unshift(prev.get(at)!);
        return [...hops.map((h) => `${h.from}:${h.line}`), start];
      }
      if (!prev.has(e.file!) && e.file !== start) {
        prev.set(e.file!, e);
        queue.push(e.file!);
      }
    }
  }
  return [start];
}

/** What `start` reaches through value edges, each edge with the chain of files before it. */
function valueReach(g: ImportGraph, start: string): { edge: ImportEdge; via: string[] }[] {
  const out: { edge: ImportEdge; via: string[] }[] = [];
  const seen = new Set([start]);
  const queue: { file: string; via: string[] }[] = [{ file: start, via: [] }];
  while (queue.length) {
    const { file, via } = queue.shift()!;
    for (const e of g.edges.filter((x) => x.from === file && !x.typeOnly)) {
      out.push({ edge: e, via });
      if (e.file !== undefined && !seen.has(e.file)) {
        seen.add(e.file);
        queue.push({ file: e.file, via: [...via, e.file] });
      }
    }
  }
  return out;
}
