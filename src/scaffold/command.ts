// XMPP: New Project… (issue 9): asks the steps (./steps.ts), then the target folder
// (showOpenDialog; a non-empty folder is refused), renders the template with the pure renderer
// of `xmpp-sandbox new` (sandbox/scaffold/render.ts) and writes the files with
// vscode.workspace.fs. Then it offers Open Folder / Add to Workspace, runs `npm install` as a
// task with progress, and starts the sandbox if it is stopped. On success it sets the context
// key xmppSandbox.projectCreated (the walkthrough step's completion event).
// The explorer's context menu opens it pre-filled: "New Worker for this JID" on a session or
// resource, "New Bridge for this list" on a queue list.
//
// Arguments (tests, other commands): { template, values, folder, useDefaults, open, install,
// startSandbox }; with template + folder + useDefaults it shows no UI at all. The context-menu
// commands take the explorer item, then optionally the same arguments.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { findSandboxTarball, listTemplates, loadTemplate, renderTemplate, resolveVariables, ScaffoldError, withVendorNote, type TemplateManifest } from '../../sandbox/scaffold/render';
import { COMMANDS, CONTEXT_KEYS } from '../ids';
import type { SandboxController } from '../sandbox/controller';
import type { SandboxProcess } from '../sandbox/sandboxProcess';
import type { TreeNode } from '../views/sandboxTree';
import { prefillFromEndpoints, rememberable, runWizard, suggestions, validValue, type LastAnswers } from './steps';

export const LAST_ANSWERS_KEY = 'xmppSandbox.newProject.lastAnswers';

export interface NewProjectArgs {
  template?: string;
  values?: Record<string, string>;
  /** The target folder (a path or a file: URI string); asked with showOpenDialog when absent. */
  folder?: string;
  /** Skip the steps: take the suggested values. */
  useDefaults?: boolean;
  /** After writing: 'ask' (default), 'open', 'add' (to the workspace) or 'none'. */
  open?: 'ask' | 'open' | 'add' | 'none';
  /** Run npm install (default true). */
  install?: boolean;
  /** Start the sandbox if it is stopped (default true). */
  startSandbox?: boolean;
}

export interface NewProjectResult {
  template: string;
  folder: string;
  values: Record<string, string>;
  files: string[];
  /** The xmpp-sandbox devDependency written into package.json. */
  sandboxPackage: string;
}

/**
 * The xmpp-sandbox devDependency when the extension carries no tarball to vendor (a VSIX does,
 * see findSandboxTarball): the extension's own folder (`file:`) when it holds the library build
 * (dist/lib.js, the package's main export: a checkout), else the CLI's default `^<version>`.
 */
export async function sandboxPackageSpec(extensionUri: vscode.Uri, version: string): Promise<string> {
  try {
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(extensionUri, 'dist', 'lib.js'));
    return `file:${extensionUri.fsPath}`;
  } catch {
    return `^${version}`;
  }
}

function folderName(fsPath: string): string | undefined {
  const n = path.basename(fsPath).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[._-]+/, '');
  return n || undefined;
}

/** Why `uri` cannot take a new project (a file, or a folder with something in it), or undefined. */
async function notEmpty(uri: vscode.Uri): Promise<string | undefined> {
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch {
    return undefined; // does not exist: created
  }
  if (!(stat.type & vscode.FileType.Directory)) return `${uri.fsPath} exists and is not a folder.`;
  const entries = await vscode.workspace.fs.readDirectory(uri);
  if (entries.length === 0) return undefined;
  const names = entries.map(([n]) => n);
  return `${uri.fsPath} is not empty (${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}). Choose a new or empty folder for the project.`;
}

async function askFolder(): Promise<vscode.Uri | undefined> {
  for (;;) {
    const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Create Project Here', title: 'XMPP: New Project: an empty folder for the project' });
    const uri = picked?.[0];
    if (!uri) return undefined;
    const problem = await notEmpty(uri);
    if (!problem) return uri;
    const again = await vscode.window.showErrorMessage(problem, 'Choose Another Folder');
    if (again !== 'Choose Another Folder') return undefined;
  }
}

async function npmInstall(folder: vscode.Uri): Promise<boolean> {
  const task = new vscode.Task({ type: 'shell', command: 'npm install' }, vscode.TaskScope.Workspace, 'npm install', 'XMPP Sandbox', new vscode.ShellExecution('npm install', { cwd: folder.fsPath }));
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, panel: vscode.TaskPanelKind.New };
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `npm install in ${path.basename(folder.fsPath)}…` }, async () => {
    const execution = await vscode.tasks.executeTask(task);
    return new Promise<boolean>((resolve) => {
      const sub = vscode.tasks.onDidEndTaskProcess((e) => {
        if (e.execution !== execution) return;
        sub.dispose();
        resolve(e.exitCode === 0);
      });
    });
  });
}

export interface NewProjectDeps {
  context: vscode.ExtensionContext;
  sandbox: SandboxProcess;
  controller: SandboxController;
  log: vscode.LogOutputChannel;
}

export async function newProject(deps: NewProjectDeps, args: NewProjectArgs = {}): Promise<NewProjectResult | undefined> {
  const { context, sandbox, controller, log } = deps;
  const root = path.join(context.extensionPath, 'templates');
  let templates: TemplateManifest[];
  try {
    templates = listTemplates(root);
  } catch (err) {
    void vscode.window.showErrorMessage(`XMPP: New Project: cannot read the templates: ${(err as Error).message}`);
    return undefined;
  }
  if (args.template !== undefined && !templates.some((t) => t.id === args.template)) {
    void vscode.window.showErrorMessage(`XMPP: New Project: unknown template '${args.template}' (the templates: ${templates.map((t) => t.id).join(', ')}).`);
    return undefined;
  }
  if (args.template !== undefined && args.values) {
    const m = templates.find((t) => t.id === args.template)!;
    const problems = Object.entries(args.values).flatMap(([k, v]) => {
      const variable = m.variables.find((x) => x.key === k);
      if (!variable) return [`template ${m.id} has no variable '${k}' (its variables: ${m.variables.map((x) => x.key).join(', ')})`];
      return validValue(variable.pattern, v) ? [] : [`${k} '${v}' is not valid: ${variable.patternHelp}`];
    });
    if (problems.length) {
      void vscode.window.showErrorMessage(`XMPP: New Project: ${problems.join('; ')}`);
      return undefined;
    }
  }
  const version = String((context.extension.packageJSON as { version?: string }).version ?? '0.0.0');
  // An installed extension has no registry that serves xmpp-sandbox: the project gets a copy of
  // the tarball the VSIX carries (vendor/) and depends on it.
  const vendor = findSandboxTarball(root, version);
  const sandboxPackage = vendor?.spec ?? (await sandboxPackageSpec(context.extensionUri, version));
  const builtins = { sandboxPackage };
  const last = context.globalState.get<LastAnswers>(LAST_ANSWERS_KEY) ?? {};
  const endpoints = sandbox.status?.endpoints;
  const suggest = (m: TemplateManifest, first: Record<string, string> = {}): Record<string, string> =>
    suggestions(m, [first, args.values ?? {}, prefillFromEndpoints(m, endpoints, builtins), last.values?.[m.id] ?? {}], builtins);

  let manifest: TemplateManifest;
  let values: Record<string, string>;
  let usedDefaults: boolean;
  if (args.useDefaults && args.template) {
    manifest = templates.find((t) => t.id === args.template)!;
    values = suggest(manifest);
    usedDefaults = true;
  } else {
    const answers = await runWizard({ templates, template: args.template, suggest, lastTemplate: last.template });
    if (!answers) return undefined;
    ({ manifest, values, usedDefaults } = answers);
  }

  let folder: vscode.Uri | undefined;
  if (args.folder !== undefined) {
    folder = /^[a-z][a-z0-9+.-]+:\/\//i.test(args.folder) ? vscode.Uri.parse(args.folder) : vscode.Uri.file(args.folder);
    const problem = await notEmpty(folder);
    if (problem) {
      void vscode.window.showErrorMessage(problem);
      return undefined;
    }
  } else {
    folder = await askFolder();
    if (!folder) return undefined;
  }
  // Like `xmpp-sandbox new`: the folder's name names the project unless a name was given.
  const nameVar = manifest.variables.find((v) => v.flag === 'name');
  const dirName = folderName(folder.fsPath);
  // Suggested again with that name, so the defaults made from it (the bridge's outbox list, the plugin's namespace) follow.
  if (nameVar && usedDefaults && args.values?.[nameVar.key] === undefined && dirName && validValue(nameVar.pattern, dirName)) values = suggest(manifest, { [nameVar.key]: dirName });

  let files: string[];
  let resolved: Record<string, string>;
  try {
    const template = loadTemplate(root, manifest.id);
    resolved = resolveVariables(template.manifest, values, builtins);
    const rendered = vendor ? withVendorNote(renderTemplate(template, resolved), vendor) : renderTemplate(template, resolved);
    // Checked again right before writing: the folder may have filled since it was chosen.
    const problem = await notEmpty(folder);
    if (problem) throw new ScaffoldError('target-not-empty', problem);
    await vscode.workspace.fs.createDirectory(folder);
    for (const f of rendered) {
      const target = vscode.Uri.joinPath(folder, ...f.path.split('/'));
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
      await vscode.workspace.fs.writeFile(target, Buffer.from(f.content, 'utf8'));
    }
    files = rendered.map((f) => f.path);
    if (vendor) {
      const target = vscode.Uri.joinPath(folder, ...vendor.path.split('/'));
      await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, '..'));
      await vscode.workspace.fs.copy(vscode.Uri.file(vendor.source), target);
      files.push(vendor.path);
    }
  } catch (err) {
    void vscode.window.showErrorMessage(`XMPP: New Project: ${(err as Error).message}`);
    return undefined;
  }
  log.info(`New ${manifest.id} project in ${folder.fsPath} (${files.length} files, xmpp-sandbox ${sandboxPackage})`);

  await context.globalState.update(LAST_ANSWERS_KEY, { template: manifest.id, values: { ...(last.values ?? {}), [manifest.id]: rememberable(resolved, manifest) } } satisfies LastAnswers);
  await vscode.commands.executeCommand('setContext', CONTEXT_KEYS.projectCreated, true);
  const result: NewProjectResult = { template: manifest.id, folder: folder.fsPath, values: resolved, files, sandboxPackage };

  // Follow-ups in the background: the command resolves once the files are written.
  void followUps(deps, args, manifest.id, folder, files.length);
  return result;
}

/** Starts the sandbox if stopped and runs npm install at once; offers Open Folder / Add to Workspace meanwhile. */
async function followUps(deps: NewProjectDeps, args: NewProjectArgs, template: string, folder: vscode.Uri, count: number): Promise<void> {
  const { sandbox, controller, log } = deps;
  if (args.startSandbox !== false && sandbox.state === 'stopped') void controller.start({ notify: false });
  const installing =
    args.install === false
      ? Promise.resolve(true)
      : npmInstall(folder).then(
          (ok) => {
            if (!ok) void vscode.window.showWarningMessage(`npm install failed in ${folder.fsPath}: see its terminal.`);
            return ok;
          },
          (err: Error) => {
            // No task support here (e.g. no workspace): a plain terminal instead.
            log.warn(`npm install as a task: ${err.message}; running it in a terminal`);
            const t = vscode.window.createTerminal({ name: 'npm install', cwd: folder });
            t.show();
            t.sendText('npm install');
            return true;
          },
        );
  const open = args.open ?? 'ask';
  const choice =
    open === 'ask'
      ? await vscode.window.showInformationMessage(`Created the ${template} project in ${folder.fsPath} (${count} files).`, 'Open Folder', 'Add to Workspace')
      : open === 'open'
        ? 'Open Folder'
        : open === 'add'
          ? 'Add to Workspace'
          : undefined;
  if (choice === 'Add to Workspace') {
    vscode.workspace.updateWorkspaceFolders(vscode.workspace.workspaceFolders?.length ?? 0, 0, { uri: folder });
  } else if (choice === 'Open Folder') {
    // Opening a folder reloads the window, which would end the install: let it finish first.
    await installing;
    await vscode.commands.executeCommand('vscode.openFolder', folder, { forceNewWindow: false });
  }
}

/**
 * The wizard's arguments for "New Worker for this JID" on an explorer item: a session's bare JID,
 * or a resource's full JID without its resource (RFC 7622 §3.1: the resourcepart follows the
 * first '/'). Lower-cased: the localpart's and domainpart's preparation maps case
 * (RFC 7622 §3.3.1, §3.2.1), and the template's pattern wants lower case.
 */
export function workerArgsFor(node: Pick<TreeNode, 'kind' | 'value'> | undefined): NewProjectArgs | undefined {
  if ((node?.kind !== 'session' && node?.kind !== 'resource') || !node.value) return undefined;
  const slash = node.value.indexOf('/');
  return { template: 'worker', values: { jid: (slash < 0 ? node.value : node.value.slice(0, slash)).toLowerCase() } };
}

/** The wizard's arguments for "New Bridge for this list" on a queue list: the bridge takes stanzas from that list. */
export function bridgeArgsFor(node: Pick<TreeNode, 'kind' | 'value' | 'context'> | undefined): NewProjectArgs | undefined {
  if (node?.kind !== 'queue' || node.context !== 'list' || !node.value) return undefined;
  return { template: 'bridge', values: { outbox: node.value } };
}

/** Arguments given as an object; not a Uri (the explorer title menu passes one) nor a selection array. */
function plainArgs(args: unknown): NewProjectArgs {
  return args && typeof args === 'object' && !Array.isArray(args) && !(args instanceof vscode.Uri) ? (args as NewProjectArgs) : {};
}

export function registerNewProject(deps: NewProjectDeps): vscode.Disposable {
  // The menu passes the item only; a caller (tests, other commands) may add the other arguments.
  const fromNode = (title: string, items: string, toArgs: (node: TreeNode | undefined) => NewProjectArgs | undefined) => (node?: TreeNode, more?: unknown) => {
    const args = toArgs(node);
    const extra = plainArgs(more);
    if (args) return newProject(deps, { ...extra, ...args, values: { ...extra.values, ...args.values } });
    void vscode.window.showErrorMessage(`XMPP: ${title} works on ${items} in the XMPP Sandbox explorer: run it from the item's context menu.`);
    return undefined;
  };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMANDS.newProject, (args?: unknown) => newProject(deps, plainArgs(args))),
    vscode.commands.registerCommand(COMMANDS.newWorkerForJid, fromNode('New Worker for this JID', 'a session or one of its resources', workerArgsFor)),
    vscode.commands.registerCommand(COMMANDS.newBridgeForList, fromNode('New Bridge for this list', 'a queue list', bridgeArgsFor)),
  );
}
