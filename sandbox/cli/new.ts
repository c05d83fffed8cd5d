// `xmpp-sandbox new <template> <dir>`: a new project from templates/<template>/ (issue 9),
// rendered by sandbox/scaffold/render.ts, the renderer the VS Code wizard uses too. Without a
// template it lists them. Values come from --name, --jid (or any --set KEY=VALUE); the rest
// take their defaults. On a terminal, without --yes, it asks for each one (Enter keeps the
// default). Errors: an unknown template (the closest one suggested), a bad value, a folder
// that is not empty: exit 2, nothing written.

import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import { version } from '../../package.json';
import { ScaffoldError, defaultTemplatesRoot, findSandboxTarball, listTemplates, loadTemplate, scaffold, substitute, type TemplateManifest } from '../scaffold/render';
import { PROG, UsageError, defineCommand, type CliIo } from './args';
import { closest, didYouMean } from '../text';

/** The devDependency every generated project has on this package (override: --sandbox-package). */
export const SANDBOX_PACKAGE_DEFAULT = `^${version}`;

const OPTIONS = {
  name: { type: 'string', value: 'NAME', help: "the project's npm name (default: the folder's name)" },
  jid: { type: 'string', value: 'JID', help: "the app's address: the worker's or daemon's bare JID, the bridge's component domain" },
  set: { type: 'string', value: 'KEY=VALUE', multiple: true, help: "any template variable ('new <template> --help-vars' lists them)" },
  'sandbox-package': { type: 'string', value: 'SPEC', help: 'the xmpp-sandbox devDependency, e.g. file:../xmpp-sandbox-0.1.0.tgz (default: a copy in vendor/ of the tarball this package carries beside its templates, if any)', defaultText: SANDBOX_PACKAGE_DEFAULT },
  yes: { type: 'boolean', short: 'y', help: 'ask nothing: the given values, defaults for the rest' },
  'help-vars': { type: 'boolean', help: "list the template's variables and their defaults" },
  templates: { type: 'string', value: 'DIR', hidden: true, help: 'the templates folder (tests)' },
} as const;

function listing(templates: readonly TemplateManifest[]): string {
  const width = Math.max(...templates.map((t) => t.id.length)) + 2;
  return templates.map((t) => `  ${t.id.padEnd(width)}${t.description}\n`).join('');
}

function variablesHelp(m: TemplateManifest): string {
  return (
    `Variables of ${m.id} (--set KEY=VALUE${m.variables.some((v) => v.flag) ? ', or the flag shown' : ''}):\n` +
    m.variables.map((v) => `  ${v.key}${v.flag ? ` (--${v.flag})` : ''}: ${v.description}; default '${v.default}'; ${v.patternHelp}\n`).join('')
  );
}

/** The folder's last segment as a default npm name, when it is one. */
function nameFromDir(dir: string): string | undefined {
  const base = resolve(dir).split(/[\\/]/).pop() ?? '';
  const n = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '');
  return n || undefined;
}

/** Asks for each variable not given, on stderr (Enter keeps the default shown); end of input cancels. */
async function ask(m: TemplateManifest, given: Record<string, string | undefined>, suggested: Record<string, string>, builtins: Record<string, string>, io: CliIo): Promise<Record<string, string | undefined>> {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines = rl[Symbol.asyncIterator]();
  try {
    const answers = { ...given };
    const resolved: Record<string, string> = { ...builtins };
    for (const v of m.variables) {
      const value = answers[v.key];
      if (value !== undefined) {
        resolved[v.key] = value;
        continue;
      }
      resolved[v.key] = suggested[v.key] ?? substitute(v.default, resolved, `${m.id}: default of ${v.key}`);
      answers[v.key] = suggested[v.key];
      for (;;) {
        io.err(`${v.description} [${resolved[v.key]}]: `);
        const line = await lines.next();
        if (line.done) throw new UsageError('cancelled: no answer (end of input)');
        const a = line.value.trim();
        if (a === '') break;
        if (new RegExp(`^(?:${v.pattern})$`).test(a)) {
          answers[v.key] = resolved[v.key] = a;
          break;
        }
        io.err(`  not valid: ${v.patternHelp}\n`);
      }
    }
    return answers;
  } finally {
    rl.close();
  }
}

export const newProject = defineCommand({
  name: 'new',
  summary: 'create a project from a template: worker, bridge, daemon or plugin; without one, list them',
  description: `'${PROG} new' lists the templates; '${PROG} new worker my-worker --yes' writes ./my-worker.\nThe folder must be new or empty. Then: cd into it, npm install, npm test (its tests start a sandbox of their own).`,
  options: OPTIONS,
  positionals: [
    { name: 'template', help: 'a template id (see the list)' },
    { name: 'dir', help: 'the new project folder (new or empty)' },
  ],
  async run(values, { io, positionals }) {
    const root = values.templates ?? defaultTemplatesRoot();
    const templates = listTemplates(root);
    const [id, dir] = positionals;
    if (id === undefined) {
      io.out(`Templates (${PROG} new <template> <dir>):\n${listing(templates)}`);
      return 0;
    }
    let manifest: TemplateManifest;
    try {
      manifest = loadTemplate(root, id).manifest;
    } catch (err) {
      if (err instanceof ScaffoldError && err.code === 'unknown-template') {
        throw new UsageError(`unknown template '${id}'${didYouMean(closest(id, err.known))}; the templates are:\n${listing(templates)}`);
      }
      throw err;
    }
    if (values['help-vars']) {
      io.out(variablesHelp(manifest));
      return 0;
    }
    if (dir === undefined) throw new UsageError('missing <dir>: the folder to create the project in');

    const given: Record<string, string | undefined> = {};
    for (const pair of values.set) {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`--set needs KEY=VALUE, got '${pair}'`);
      given[pair.slice(0, at)] = pair.slice(at + 1);
    }
    for (const v of manifest.variables) {
      const flagValue = v.flag === 'name' ? values.name : v.flag === 'jid' ? values.jid : undefined;
      if (flagValue !== undefined) given[v.key] = flagValue;
    }
    if (values.name !== undefined && !manifest.variables.some((v) => v.flag === 'name')) throw new UsageError(`template ${id} has no --name`);
    if (values.jid !== undefined && !manifest.variables.some((v) => v.flag === 'jid')) throw new UsageError(`template ${id} has no --jid`);
    // The folder's name is the project's name unless one is given (asked with it as the default).
    const nameVar = manifest.variables.find((v) => v.flag === 'name');
    const suggested: Record<string, string> = {};
    const dirName = nameFromDir(dir);
    if (nameVar && given[nameVar.key] === undefined && dirName !== undefined) suggested[nameVar.key] = dirName;

    // A package that carries the library's tarball beside its templates (the VSIX) vendors it
    // into the project: no registry serves xmpp-sandbox to an installed extension.
    const vendor = values['sandbox-package'] === undefined ? findSandboxTarball(root, version) : undefined;
    const builtins = { sandboxPackage: vendor?.spec ?? values['sandbox-package'] ?? SANDBOX_PACKAGE_DEFAULT };
    const interactive = !values.yes && process.stdin.isTTY === true && process.stderr.isTTY === true;
    const answers = interactive ? await ask(manifest, given, suggested, builtins, io) : { ...suggested, ...given };
    let result;
    try {
      result = await scaffold({ root, template: id, dir, values: answers, builtins, vendor });
    } catch (err) {
      if (err instanceof ScaffoldError && err.code !== 'template-error') throw new UsageError(err.message);
      throw err;
    }
    io.out(`Created ${manifest.id} project '${result.values[nameVar?.key ?? ''] ?? id}' in ${dir} (${result.files.length} files).\n`);
    if (vendor) io.out(`xmpp-sandbox comes from ${vendor.path} (see its README to use the registry instead).\n`);
    const next = manifest.next ?? ['npm install', 'npm test'];
    io.out(`Next:\n  cd ${dir}\n${next.map((l) => `  ${l}\n`).join('')}`);
    return 0;
  },
});
