// The steps of XMPP: New Project… (issue 9): VS Code's native multi-step QuickPick/InputBox
// with back buttons. Step 1 picks a template, step 2 offers "Use defaults" first (or
// "Customize…"), then one InputBox per template variable, validated by the manifest's pattern
// and patternHelp. Suggestions come from, in order: the command's arguments, the running
// sandbox's endpoints (where a variable matches), the last answers (globalState), the manifest.
// The renderer (sandbox/scaffold/render.ts) is pure and shared with `xmpp-sandbox new`.

import * as vscode from 'vscode';
import type { Endpoints } from '../../sandbox/control/api';
import { substitute, type TemplateManifest } from '../../sandbox/scaffold/render';

/** The template shown first (the most common one) and active when nothing was used before. */
export const FIRST_TEMPLATE = 'worker';

/** Variables never remembered: a second project must not take the first one's npm name. */
const NOT_REMEMBERED = new Set(['name']);

export interface LastAnswers {
  template?: string;
  /** Per template id: its variables' last values. */
  values?: Record<string, Record<string, string>>;
}

/** The templates in wizard order: FIRST_TEMPLATE, then by id. */
export function orderTemplates(list: readonly TemplateManifest[]): TemplateManifest[] {
  return [...list].sort((a, b) => (a.id === FIRST_TEMPLATE ? -1 : b.id === FIRST_TEMPLATE ? 1 : a.id.localeCompare(b.id)));
}

/** Whether `value` matches the variable's pattern as a whole (the renderer anchors it the same way). */
export function validValue(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

/**
 * Values from the running sandbox for the variables that match: a JID (`jid`) keeps its
 * localpart and takes the sandbox's domain (a component template's JID without '@' takes the
 * first component domain the sandbox accepts); `domain`, `service`/`c2s`, `component`,
 * `componentSecret`/`secret`, `redisUrl`/`queue` and `password` take the endpoint of that name.
 * Only values that pass the variable's pattern are returned.
 */
export function prefillFromEndpoints(manifest: TemplateManifest, e: Endpoints | null | undefined, base: Record<string, string> = {}): Record<string, string> {
  if (!e) return {};
  const components = Object.keys(e.components ?? {});
  const firstComponent = components[0];
  const byKey: Record<string, string | null | undefined> = {
    domain: e.domain,
    service: e.c2s,
    c2s: e.c2s,
    websocket: e.websocket,
    component: e.component,
    componentService: e.component,
    secret: firstComponent ? e.components[firstComponent] : undefined,
    componentSecret: firstComponent ? e.components[firstComponent] : undefined,
    redisUrl: e.queue,
    queue: e.queue,
    password: e.password,
  };
  const out: Record<string, string> = {};
  const values: Record<string, string> = { ...base };
  for (const v of manifest.variables) {
    let value: string | null | undefined = byKey[v.key];
    if (v.key === 'jid') {
      let d: string;
      try {
        d = substitute(v.default, values);
      } catch {
        d = v.default;
      }
      value = d.includes('@') ? `${d.slice(0, d.indexOf('@'))}@${e.domain}` : (firstComponent ?? undefined);
    }
    if (value && validValue(v.pattern, value)) out[v.key] = value;
    try {
      values[v.key] = out[v.key] ?? substitute(v.default, values);
    } catch {
      values[v.key] = v.default;
    }
  }
  return out;
}

/** The suggested value of each variable: given > sandbox > last answers > manifest default (rendered in order). */
export function suggestions(manifest: TemplateManifest, layers: readonly Record<string, string | undefined>[], builtins: Record<string, string>): Record<string, string> {
  const values: Record<string, string> = { ...builtins };
  const out: Record<string, string> = {};
  for (const v of manifest.variables) {
    let value: string | undefined;
    for (const layer of layers) {
      const candidate = layer[v.key];
      if (candidate !== undefined && validValue(v.pattern, candidate)) {
        value = candidate;
        break;
      }
    }
    value ??= substitute(v.default, values, `${manifest.id}: default of ${v.key}`);
    values[v.key] = out[v.key] = value;
  }
  return out;
}

/**
 * What to remember of an answer set: not the variables of NOT_REMEMBERED, nor those whose
 * default derives from one of them (the bridge's outbox list `{{name}}:outbox`, the plugin's
 * namespace), which follow the next project's own name instead.
 */
export function rememberable(values: Record<string, string>, manifest: TemplateManifest): Record<string, string> {
  const derived = (d: string) => [...NOT_REMEMBERED].some((k) => new RegExp(`\\{\\{\\s*${k}\\b`).test(d));
  const out: Record<string, string> = {};
  for (const v of manifest.variables) if (!NOT_REMEMBERED.has(v.key) && !derived(v.default) && values[v.key] !== undefined) out[v.key] = values[v.key]!;
  return out;
}

// ---------------------------------------------------------------- the UI

class Back extends Error {}

interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

async function pick<T>(title: string, step: number, total: number, items: PickItem<T>[], active: number, back: boolean, placeholder: string): Promise<T | Back | undefined> {
  const qp = vscode.window.createQuickPick<PickItem<T>>();
  qp.title = title;
  qp.step = step;
  qp.totalSteps = total;
  qp.placeholder = placeholder;
  qp.items = items;
  qp.activeItems = items[active] ? [items[active]!] : [];
  qp.ignoreFocusOut = true;
  qp.buttons = back ? [vscode.QuickInputButtons.Back] : [];
  try {
    return await new Promise<T | Back | undefined>((resolve) => {
      qp.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && resolve(new Back()));
      qp.onDidAccept(() => resolve(qp.selectedItems[0]?.value ?? qp.activeItems[0]?.value));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
  } finally {
    qp.dispose();
  }
}

async function input(title: string, step: number, total: number, prompt: string, value: string, validate: (v: string) => string | undefined): Promise<string | Back | undefined> {
  const box = vscode.window.createInputBox();
  box.title = title;
  box.step = step;
  box.totalSteps = total;
  box.prompt = prompt;
  box.value = value;
  box.ignoreFocusOut = true;
  box.buttons = [vscode.QuickInputButtons.Back];
  box.validationMessage = validate(value);
  try {
    return await new Promise<string | Back | undefined>((resolve) => {
      box.onDidTriggerButton((b) => b === vscode.QuickInputButtons.Back && resolve(new Back()));
      box.onDidChangeValue((v) => (box.validationMessage = validate(v)));
      box.onDidAccept(() => {
        const problem = validate(box.value);
        box.validationMessage = problem;
        if (!problem) resolve(box.value);
      });
      box.onDidHide(() => resolve(undefined));
      box.show();
    });
  } finally {
    box.dispose();
  }
}

export interface WizardInput {
  templates: readonly TemplateManifest[];
  /** A template given by the caller: step 1 is skipped. */
  template?: string;
  /** The suggested values per template id (see suggestions()). */
  suggest(manifest: TemplateManifest): Record<string, string>;
  /** The template active in step 1 (the last one used). */
  lastTemplate?: string;
}

export interface WizardAnswers {
  manifest: TemplateManifest;
  values: Record<string, string>;
  /** True when "Use defaults" was chosen (the folder's name may then name the project). */
  usedDefaults: boolean;
}

const TITLE = 'XMPP: New Project';

/** Runs the steps; undefined when the user cancels (Escape). */
export async function runWizard(w: WizardInput): Promise<WizardAnswers | undefined> {
  const templates = orderTemplates(w.templates);
  let manifest = w.template ? templates.find((t) => t.id === w.template) : undefined;
  const skipTemplate = manifest !== undefined;
  let stage: 'template' | 'mode' | number = skipTemplate ? 'mode' : 'template';
  let values: Record<string, string> = {};
  for (;;) {
    const total = 2 + (manifest?.variables.length ?? 0) - (skipTemplate ? 1 : 0);
    const offset = skipTemplate ? 0 : 1;
    if (stage === 'template') {
      const items = templates.map((t) => ({ label: t.id, description: t.id === w.lastTemplate ? 'last used' : undefined, detail: t.description, value: t }));
      const last = Math.max(0, templates.findIndex((t) => t.id === (w.lastTemplate ?? FIRST_TEMPLATE)));
      const r = await pick(TITLE, 1, 2 + Math.max(...templates.map((t) => t.variables.length)), items, last, false, 'Choose a template');
      if (r === undefined || r instanceof Back) return undefined;
      manifest = r;
      values = w.suggest(r);
      stage = 'mode';
    } else if (stage === 'mode') {
      const m = manifest!;
      if (!Object.keys(values).length) values = w.suggest(m);
      const summary = m.variables.map((v) => `${v.key}=${values[v.key]}`).join(', ');
      const r = await pick<'defaults' | 'customize'>(
        `${TITLE}: ${m.id}`,
        offset + 1,
        total,
        [
          { label: '$(check) Use defaults', description: summary, value: 'defaults' },
          { label: '$(edit) Customize…', description: m.variables.map((v) => v.key).join(', '), value: 'customize' },
        ],
        0,
        !skipTemplate,
        'Use the suggested values, or change them one by one',
      );
      if (r === undefined) return undefined;
      if (r instanceof Back) {
        stage = 'template';
        continue;
      }
      if (r === 'defaults' || m.variables.length === 0) return { manifest: m, values, usedDefaults: true };
      stage = 0;
    } else {
      const m = manifest!;
      const v = m.variables[stage]!;
      const r = await input(`${TITLE}: ${m.id}`, offset + 2 + stage, total, `${v.key}: ${v.description}`, values[v.key] ?? '', (s) => (validValue(v.pattern, s) ? undefined : `Not valid: ${v.patternHelp}`));
      if (r === undefined) return undefined;
      if (r instanceof Back) {
        stage = stage === 0 ? 'mode' : stage - 1;
        continue;
      }
      values = { ...values, [v.key]: r };
      if (stage + 1 >= m.variables.length) return { manifest: m, values, usedDefaults: false };
      stage++;
    }
  }
}
