// User plugins from config.xmpp.pluginDir: every *.js / *.cjs / *.mjs and *.ts / *.mts /
// *.cts (types stripped by Node ≥ 22.13, or imported through tsx) exporting a Plugin as default, as
// `plugin`, or an array of them. Reloading imports each file under a fresh URL (?v=N) so
// the new code runs; the old plugins are unloaded first (Prosody-style: hooks removed).
// A plugin file imports its types (and the xml/JID helpers) from sandbox/plugin-api.ts only;
// the loader checks the shape it exports (registry.ts validatePlugin), nothing else.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as nodeModule from 'node:module';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { PluginLoadError } from '../../control/api';
import type { Plugin } from './plugin';
import { validatePlugin } from './registry';

export interface LoadedFile {
  file: string;
  plugins: Plugin[];
}

const EXTENSIONS = ['.js', '.cjs', '.mjs', '.ts', '.mts', '.cts'];
let generation = 0;

function pluginsOf(mod: unknown, depth = 0): Plugin[] {
  if (Array.isArray(mod)) {
    for (const p of mod) validatePlugin(p);
    return mod as Plugin[];
  }
  if (mod && typeof mod === 'object' && 'id' in mod) {
    validatePlugin(mod);
    return [mod];
  }
  const m = (mod ?? {}) as Record<string, unknown>;
  // ESM default / named `plugin` / `plugins`; CommonJS through import() nests one level deeper.
  const inner = m.default ?? m.plugin ?? m.plugins;
  if (inner === undefined || depth > 1) throw new Error('the module exports no plugin (export default, `plugin` or an array)');
  return pluginsOf(inner, depth + 1);
}

const TS = /\.(c|m)?ts$/;
type StripTypes = (code: string, opts?: { mode?: 'strip' | 'transform' }) => string;

/**
 * TypeScript plugins without tsx: Node ≥ 22.13 (VS Code's extension host, code-server's
 * Node 24) strips types itself (`module.stripTypeScriptTypes`). The JavaScript is written
 * beside the original (a dot-file, so relative imports and node_modules still resolve),
 * imported, then removed. Returns null when this Node cannot strip types.
 */
async function importTypeScript(file: string, gen: number): Promise<{ mod: unknown } | null> {
  const strip = (nodeModule as { stripTypeScriptTypes?: StripTypes }).stripTypeScriptTypes;
  if (!strip) return null;
  // 'strip' blanks the types out in place, so a line in an error is the line of the .ts file;
  // 'transform' (enums, namespaces) is the fallback for what cannot be blanked out.
  const source = fs.readFileSync(file, 'utf8');
  let js: string;
  try {
    js = strip(source, { mode: 'strip' });
  } catch {
    js = strip(source, { mode: 'transform' });
  }
  const ext = file.endsWith('.cts') ? '.cjs' : '.mjs';
  const out = path.join(path.dirname(file), `.${path.basename(file).replace(TS, '')}.sandbox-${process.pid}-${gen}${ext}`);
  fs.writeFileSync(out, js);
  try {
    if (ext === '.cjs') {
      const req = createRequire(out);
      try {
        return { mod: req(out) as unknown };
      } finally {
        delete req.cache[out];
      }
    }
    return { mod: (await import(pathToFileURL(out).href)) as unknown };
  } catch (err) {
    // The error names the transient file: point it at the user's .ts instead.
    if (err instanceof Error && err.stack) err.stack = err.stack.split(pathToFileURL(out).href).join(pathToFileURL(file).href).split(out).join(file);
    throw err;
  } finally {
    fs.rmSync(out, { force: true });
  }
}

/** Load a module bypassing the caches: require (CommonJS, cache entry deleted) or import(url?v=N). */
async function importFresh(file: string, gen: number): Promise<unknown> {
  if (TS.test(file)) {
    const stripped = await importTypeScript(file, gen);
    if (stripped) return stripped.mod;
  }
  if (file.endsWith('.js') || file.endsWith('.cjs')) {
    const req = createRequire(file);
    const resolved = req.resolve(file);
    delete req.cache[resolved];
    try {
      return req(resolved) as unknown;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw err;
    }
  }
  return (await import(pathToFileURL(file).href + `?v=${gen}`)) as unknown;
}

/**
 * Where in `file` an error happened, from its stack: a syntax error's stack starts with
 * "file:line", a thrown error's frames read "(file:line:column)"; the path may be a file URL
 * (ESM, with ?v=N). Undefined when no frame is in the file (e.g. a wrong export shape).
 */
export function errorLocation(err: unknown, file: string): { line: number; column?: number } | undefined {
  const stack = err instanceof Error ? err.stack : undefined;
  if (!stack) return undefined;
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const names = [pathToFileURL(file).href, file].map(escape).join('|');
  const m = new RegExp(`(?:${names})(?:\\?v=\\d+)?:(\\d+)(?::(\\d+))?`).exec(stack);
  if (!m) return undefined;
  return m[2] ? { line: Number(m[1]), column: Number(m[2]) } : { line: Number(m[1]) };
}

/** Import every plugin file of `dir` (sorted by name). Errors are per file; nothing throws. */
export async function loadPluginDir(dir: string): Promise<{ loaded: LoadedFile[]; errors: PluginLoadError[] }> {
  const loaded: LoadedFile[] = [];
  const errors: PluginLoadError[] = [];
  if (!dir) return { loaded, errors };
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch (err) {
    return { loaded, errors: [{ file: dir, error: `cannot read plugin folder: ${(err as Error).message}` }] };
  }
  const gen = ++generation;
  for (const name of names) {
    // Dot-files are skipped: hidden files, and the loader's own transient TypeScript output.
    if (!EXTENSIONS.some((e) => name.endsWith(e)) || name.endsWith('.d.ts') || name.startsWith('.')) continue;
    const file = path.join(dir, name);
    try {
      loaded.push({ file, plugins: pluginsOf(await importFresh(file, gen)) });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const msg = err instanceof Error ? err.message : String(err);
      errors.push({
        file,
        error: code === 'ERR_UNKNOWN_FILE_EXTENSION' ? `${msg} (TypeScript plugins need Node ≥ 22.13 or the sandbox running under tsx; or compile to .js or .mjs)` : msg,
        ...errorLocation(err, file),
      });
    }
  }
  return { loaded, errors };
}
