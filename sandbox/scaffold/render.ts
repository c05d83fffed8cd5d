// Project templates (issue 9): templates/<id>/ holds a project's real files and a manifest,
// template.json; this module reads them, checks the answers against the manifest, and renders
// the files. No vscode import (docs/architecture.md, "The rooms"): the CLI's `new` command
// (sandbox/cli/new.ts) writes with node:fs here, the VS Code wizard renders the same files and
// writes them with vscode.workspace.fs. Only Node builtins.
//
// Substitution, in file contents and in each path segment:
//   {{key}}             the value of variable `key`
//   {{key|localpart}}   the part before '@' of a JID-like value (RFC 7622 §3.3)
//   {{key|domainpart}}  the part after '@' (the whole value when it has none; RFC 7622 §3.2)
// A placeholder naming an unknown variable or filter is a template error, so a typo in a
// template fails its render test instead of reaching a user's project.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { copyFile, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const MANIFEST = 'template.json';

export interface TemplateVariable {
  /** The placeholder's name: {{key}}. */
  key: string;
  /** A prompt or a help line: what the value is for. */
  description: string;
  /** Used when no value is given; may itself hold placeholders of earlier variables. */
  default: string;
  /** The value must match it as a whole (anchored by the renderer). */
  pattern: string;
  /** Said when the value does not match, e.g. "lower-case letters, digits and '-'". */
  patternHelp: string;
  /** The CLI flag that sets it besides --set KEY=VALUE, e.g. "jid" for --jid. */
  flag?: string;
}

export interface TemplateManifest {
  id: string;
  /** One line, for lists. */
  description: string;
  variables: TemplateVariable[];
  /** Template file → rendered path, for names npm pack will not ship (".gitignore" is dropped by npm). */
  rename?: Record<string, string>;
  /** Shown after rendering: the next steps. */
  next?: string[];
}

/** A template file: a path relative to the template (POSIX separators) and its text. */
export interface TemplateFile {
  path: string;
  content: string;
}

export interface Template {
  manifest: TemplateManifest;
  files: TemplateFile[];
}

export type RenderedFile = TemplateFile;

export type ScaffoldErrorCode = 'unknown-template' | 'invalid-variable' | 'unknown-variable' | 'target-not-empty' | 'template-error';

export class ScaffoldError extends Error {
  constructor(
    readonly code: ScaffoldErrorCode,
    message: string,
    /** For unknown-template: the ids there are. */
    readonly known: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ScaffoldError';
  }
}

/** Values every template may use without declaring them (e.g. the devDependency spec of xmpp-sandbox). */
export type Builtins = Record<string, string>;

const ID = /^[a-z][a-z0-9-]*$/;
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*(?:\|\s*([A-Za-z]+)\s*)?\}\}/g;

const FILTERS: Record<string, (v: string) => string> = {
  localpart: (v) => (v.includes('@') ? v.slice(0, v.indexOf('@')) : ''),
  domainpart: (v) => {
    const d = v.includes('@') ? v.slice(v.indexOf('@') + 1) : v;
    return d.includes('/') ? d.slice(0, d.indexOf('/')) : d;
  },
};

// ---------------------------------------------------------------- manifests

function fail(template: string, what: string): never {
  throw new ScaffoldError('template-error', `template ${template}: ${what}`);
}

/** Checks a parsed template.json; throws ScaffoldError('template-error') naming the first problem. */
export function checkManifest(raw: unknown, where: string): TemplateManifest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, `${MANIFEST} must hold an object`);
  const m = raw as Record<string, unknown>;
  if (typeof m.id !== 'string' || !ID.test(m.id)) fail(where, `id must match ${ID}`);
  if (typeof m.description !== 'string' || !m.description) fail(where, 'description must be a non-empty string');
  if (!Array.isArray(m.variables)) fail(where, 'variables must be an array');
  const keys = new Set<string>();
  for (const [i, v] of (m.variables as unknown[]).entries()) {
    const at = `variables[${i}]`;
    if (typeof v !== 'object' || v === null) fail(where, `${at} must be an object`);
    const o = v as Record<string, unknown>;
    for (const f of ['key', 'description', 'default', 'pattern', 'patternHelp'] as const) if (typeof o[f] !== 'string') fail(where, `${at}.${f} must be a string`);
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(o.key as string)) fail(where, `${at}.key '${String(o.key)}' is not a placeholder name`);
    if (keys.has(o.key as string)) fail(where, `variable '${String(o.key)}' is declared twice`);
    keys.add(o.key as string);
    try {
      new RegExp(o.pattern as string);
    } catch (err) {
      fail(where, `${at}.pattern: ${(err as Error).message}`);
    }
    if (o.flag !== undefined && (typeof o.flag !== 'string' || !/^[a-z][a-z0-9-]*$/.test(o.flag))) fail(where, `${at}.flag must be a lower-case flag name`);
  }
  if (m.rename !== undefined && (typeof m.rename !== 'object' || m.rename === null || Object.values(m.rename).some((t) => typeof t !== 'string'))) fail(where, 'rename must map paths to paths');
  if (m.next !== undefined && (!Array.isArray(m.next) || m.next.some((l) => typeof l !== 'string'))) fail(where, 'next must be an array of lines');
  return m as unknown as TemplateManifest;
}

// ---------------------------------------------------------------- reading templates from disk

/**
 * The templates folder next to the code: templates/ at the package root, found from dist/
 * (the bundle) or from sandbox/scaffold/ (the sources under tsx). The extension passes its own
 * extensionPath/templates instead.
 */
export function defaultTemplatesRoot(from: string = __dirname): string {
  for (let dir = resolve(from), i = 0; i < 5; i++, dir = dirname(dir)) {
    const candidate = join(dir, 'templates');
    if (existsSync(candidate) && statSync(candidate).isDirectory()) return candidate;
  }
  throw new ScaffoldError('template-error', `no templates/ folder above ${from}`);
}

/** The manifests of every template under `root`, sorted by id. */
export function listTemplates(root: string): TemplateManifest[] {
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, MANIFEST)))
    .map((d) => readManifest(root, d.name))
    .sort((a, b) => a.id.localeCompare(b.id));
}

function readManifest(root: string, id: string): TemplateManifest {
  const file = join(root, id, MANIFEST);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    fail(id, `cannot read ${MANIFEST}: ${(err as Error).message}`);
  }
  const m = checkManifest(raw, id);
  if (m.id !== id) fail(id, `the manifest's id '${m.id}' is not its folder's name`);
  return m;
}

function walk(dir: string, base: string, out: TemplateFile[]): void {
  for (const d of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(dir, d.name);
    const rel = relative(base, full).split(sep).join('/');
    if (d.isDirectory()) {
      if (d.name === 'node_modules' || d.name === 'dist') continue; // left by someone who ran the template in place
      walk(full, base, out);
    } else if (d.isFile() && rel !== MANIFEST) {
      out.push({ path: rel, content: readFileSync(full, 'utf8') });
    }
  }
}

/** Reads templates/<id>/: its manifest and every other file. Unknown id → ScaffoldError('unknown-template'). */
export function loadTemplate(root: string, id: string): Template {
  const known = listTemplates(root).map((m) => m.id);
  if (!known.includes(id)) throw new ScaffoldError('unknown-template', `unknown template '${id}'`, known);
  const manifest = readManifest(root, id);
  const files: TemplateFile[] = [];
  walk(join(root, id), join(root, id), files);
  return { manifest, files };
}

// ---------------------------------------------------------------- variables

/** `text` with its placeholders replaced; an unknown variable or filter → ScaffoldError('template-error'). */
export function substitute(text: string, values: Record<string, string>, where = 'text'): string {
  return text.replace(PLACEHOLDER, (_all, key: string, filter: string | undefined) => {
    const v = values[key];
    if (v === undefined) throw new ScaffoldError('template-error', `${where}: unknown variable {{${key}}}`);
    if (filter === undefined) return v;
    const f = FILTERS[filter];
    if (!f) throw new ScaffoldError('template-error', `${where}: unknown filter '${filter}' (known: ${Object.keys(FILTERS).join(', ')})`);
    return f(v);
  });
}

/**
 * Every variable's value: given, or its default (rendered with the values before it), each
 * checked against its pattern. A key the template does not declare is an error
 * ('unknown-variable'), so is a value that does not match ('invalid-variable': all of them
 * in one message, each with what it should look like).
 */
export function resolveVariables(manifest: TemplateManifest, given: Record<string, string | undefined>, builtins: Builtins = {}): Record<string, string> {
  const declared = manifest.variables.map((v) => v.key);
  const unknown = Object.keys(given).filter((k) => given[k] !== undefined && !declared.includes(k) && !(k in builtins));
  if (unknown.length) {
    throw new ScaffoldError('unknown-variable', `template ${manifest.id} has no variable ${unknown.map((k) => `'${k}'`).join(', ')} (its variables: ${declared.join(', ') || 'none'})`);
  }
  const values: Record<string, string> = { ...builtins };
  for (const k of Object.keys(builtins)) if (given[k] !== undefined) values[k] = given[k]!;
  const problems: string[] = [];
  for (const v of manifest.variables) {
    const value = given[v.key] ?? substitute(v.default, values, `${manifest.id}: default of ${v.key}`);
    if (!new RegExp(`^(?:${v.pattern})$`).test(value)) problems.push(`${v.key} '${value}' is not valid: ${v.patternHelp}`);
    values[v.key] = value;
  }
  if (problems.length) throw new ScaffoldError('invalid-variable', problems.join('; '));
  return values;
}

// ---------------------------------------------------------------- rendering

/** The files of a project: paths renamed and substituted, contents substituted. Pure. */
export function renderTemplate(template: Template, values: Record<string, string>): RenderedFile[] {
  const rename = template.manifest.rename ?? {};
  const out: RenderedFile[] = [];
  const seen = new Set<string>();
  for (const f of template.files) {
    const where = `${template.manifest.id}/${f.path}`;
    const path = (rename[f.path] ?? f.path)
      .split('/')
      .map((seg) => substitute(seg, values, where))
      .join('/');
    if (path.split('/').some((seg) => seg === '' || seg === '.' || seg === '..' || seg.includes('\\'))) {
      throw new ScaffoldError('template-error', `${where}: renders to the path '${path}', which is not inside the project`);
    }
    if (seen.has(path)) throw new ScaffoldError('template-error', `${where}: two files render to '${path}'`);
    seen.add(path);
    out.push({ path, content: substitute(f.content, values, where) });
  }
  return out;
}

/** Throws ScaffoldError('target-not-empty') when `dir` is a file or a folder with anything in it. */
export async function checkTarget(dir: string): Promise<void> {
  let s;
  try {
    s = await stat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!s.isDirectory()) throw new ScaffoldError('target-not-empty', `${dir} exists and is not a folder`);
  const entries = await readdir(dir);
  if (entries.length > 0) {
    throw new ScaffoldError('target-not-empty', `${dir} is not empty (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}: ${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); choose a new or empty folder`);
  }
}

/** Writes rendered files under `dir` (created), refusing a non-empty folder and never overwriting a file. */
export async function writeProject(dir: string, files: readonly RenderedFile[]): Promise<string[]> {
  await checkTarget(dir);
  const written: string[] = [];
  for (const f of files) {
    const target = join(dir, ...f.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, f.content, { flag: 'wx' });
    written.push(f.path);
  }
  return written;
}

// ---------------------------------------------------------------- the library, offline

/**
 * Where a package that carries the templates may also carry this package's `npm pack` tarball
 * (the VSIX does: scripts/package-vsix.mjs), beside templates/; and where a generated project
 * keeps its copy. An installed extension has no registry that serves xmpp-sandbox, so the
 * project depends on its copy: `file:vendor/xmpp-sandbox-<version>.tgz` (npm resolves a file:
 * spec relative to the project's package.json, so the project can move).
 */
export const VENDOR_DIR = 'vendor';

export interface VendoredSandbox {
  /** The tarball the package carries (absolute). */
  source: string;
  /** Its copy in the project (POSIX, relative): vendor/xmpp-sandbox-<version>.tgz. */
  path: string;
  /** The devDependency spec: file:vendor/xmpp-sandbox-<version>.tgz. */
  spec: string;
  version: string;
}

/** The library tarball beside `templatesRoot` (../vendor/xmpp-sandbox-<version>.tgz), or undefined. */
export function findSandboxTarball(templatesRoot: string, version: string): VendoredSandbox | undefined {
  const name = `xmpp-sandbox-${version}.tgz`;
  const source = join(templatesRoot, '..', VENDOR_DIR, name);
  if (!existsSync(source)) return undefined;
  const path = `${VENDOR_DIR}/${name}`;
  return { source: resolve(source), path, spec: `file:${path}`, version };
}

/** The README section of a project that depends on its vendored copy: where it comes from, and how to switch to the registry. */
export function vendorNote(v: VendoredSandbox): string {
  return [
    '',
    '## The xmpp-sandbox dependency',
    '',
    `\`xmpp-sandbox\` (the sandbox your tests start, and \`npx xmpp-sandbox\`) is installed from`,
    `\`${v.path}\`, the copy the VS Code extension carries, so \`npm install\` needs no registry`,
    'for it. Keep the file in version control, or switch to the registry version once it is',
    'published there:',
    '',
    '```sh',
    `npm install --save-dev xmpp-sandbox@^${v.version} && rm -r ${VENDOR_DIR}`,
    '```',
    '',
  ].join('\n');
}

/** The rendered files with vendorNote() appended to README.md (when the template has one). */
export function withVendorNote(files: readonly RenderedFile[], v: VendoredSandbox): RenderedFile[] {
  return files.map((f) => (f.path === 'README.md' ? { ...f, content: `${f.content.replace(/\n*$/, '\n')}${vendorNote(v)}` } : f));
}

export interface ScaffoldOptions {
  /** The templates folder (defaultTemplatesRoot() for the CLI). */
  root: string;
  template: string;
  dir: string;
  /** Variable values by key; absent ones take their defaults. */
  values?: Record<string, string | undefined>;
  builtins?: Builtins;
  /** Copy this tarball into the project and depend on it (its spec replaces builtins.sandboxPackage). */
  vendor?: VendoredSandbox;
}

/** Loads, validates, renders and writes: what `xmpp-sandbox new` does. Resolves with the values used and the files written. */
export async function scaffold(o: ScaffoldOptions): Promise<{ values: Record<string, string>; files: string[]; manifest: TemplateManifest }> {
  const template = loadTemplate(o.root, o.template);
  const builtins = o.vendor ? { ...o.builtins, sandboxPackage: o.vendor.spec } : o.builtins;
  const values = resolveVariables(template.manifest, o.values ?? {}, builtins);
  await checkTarget(o.dir);
  const rendered = renderTemplate(template, values);
  const files = await writeProject(o.dir, o.vendor ? withVendorNote(rendered, o.vendor) : rendered);
  if (o.vendor) {
    const target = join(o.dir, ...o.vendor.path.split('/'));
    await mkdir(dirname(target), { recursive: true });
    await copyFile(o.vendor.source, target);
    files.push(o.vendor.path);
  }
  return { values, files, manifest: template.manifest };
}
