// The filter bar and the list actions (clear filters, both passes, pause, clear list, export).

import type { FilterState } from '../src/protocol';
import { clear, h, icon } from './dom';
import { EMPTY_FILTERS } from './filters';
import { OUTCOME_LABELS } from './format';

type ValueElement = HTMLElement & { value: string };

export interface ToolbarActions {
  filtersChanged(f: FilterState): void;
  togglePause(): void;
  /** Show a stanza's two passes as two rows, or as one. */
  togglePasses(): void;
  clear(): void;
  exportVisible(): void;
  /** Save as Scenario: the visible stanzas' time span as a .scs (the host asks where). */
  saveScenario(): void;
}

function textFilter(id: string, placeholder: string, label: string): ValueElement {
  return h('vscode-textfield', { class: 'filter', attrs: { id, placeholder, 'aria-label': label, title: label } }) as ValueElement;
}

function selectFilter(id: string, label: string, options: [string, string][]): ValueElement {
  return h(
    'vscode-single-select',
    { class: 'filter', attrs: { id, 'aria-label': label, title: label } },
    ...options.map(([value, text]) => h('vscode-option', { attrs: { value } }, text)),
  ) as ValueElement;
}

export class Toolbar {
  readonly root: HTMLElement;
  readonly status: HTMLElement;
  private readonly fields: Record<keyof FilterState, ValueElement>;
  private readonly pauseButton: HTMLElement;
  private readonly clearFiltersButton: HTMLElement;
  private readonly passesButton: HTMLElement;

  constructor(actions: ToolbarActions) {
    this.fields = {
      jid: textFilter('filter-jid', 'JID (bare or full)', 'JID: matches from or to; a bare JID matches every resource'),
      kind: selectFilter('filter-kind', 'Stanza kind', [
        ['', 'all kinds'],
        ['message', 'message'],
        ['presence', 'presence'],
        ['iq', 'iq'],
      ]),
      stanzaType: textFilter('filter-type', 'type', 'Stanza type (chat, get, result, unavailable…)'),
      xmlns: textFilter('filter-xmlns', 'xmlns', 'Namespace of the first child'),
      outcome: selectFilter('filter-outcome', 'Outcome', [['', 'all outcomes'], ...(Object.entries(OUTCOME_LABELS) as [string, string][]), ['pending', 'pending']]),
      plugin: textFilter('filter-plugin', 'plugin', 'A plugin that saw the stanza'),
      text: textFilter('filter-text', 'text', 'Free text in the XML, addresses or packet id; run:<tag> for one scenario run'),
    };
    const changed = (): void => actions.filtersChanged(this.value());
    for (const el of Object.values(this.fields)) {
      el.addEventListener('input', changed);
      el.addEventListener('change', changed);
    }
    this.pauseButton = h('vscode-button', { attrs: { id: 'btn-pause', secondary: '', title: 'Pause the live list (events are kept and shown on resume)' } }, icon('debug-pause'), ' Pause');
    this.pauseButton.addEventListener('click', () => actions.togglePause());
    this.clearFiltersButton = h('vscode-button', { attrs: { id: 'btn-clear-filters', secondary: '', title: 'Empty every filter field: show all stanzas' } }, icon('filter'), ' Clear Filters');
    this.clearFiltersButton.addEventListener('click', () => this.clearFilters(actions));
    this.passesButton = h('vscode-button', { attrs: { id: 'btn-passes', secondary: '', 'aria-pressed': 'false', title: 'List each pass of a stanza (for the sender, for the receiver) as a row of its own' } }, icon('list-tree'), ' Both Passes');
    this.passesButton.addEventListener('click', () => actions.togglePasses());
    const clearButton = h('vscode-button', { attrs: { id: 'btn-clear', secondary: '', title: 'Forget every stanza in the list, earlier sandbox runs included' } }, icon('clear-all'), ' Clear List');
    clearButton.addEventListener('click', () => actions.clear());
    const exportButton = h('vscode-button', { attrs: { id: 'btn-export', secondary: '', title: 'Save the visible stanzas\u2019 events as JSON lines' } }, icon('save'), ' Export');
    exportButton.addEventListener('click', () => actions.exportVisible());
    const scenarioButton = h('vscode-button', { attrs: { id: 'btn-save-scenario', secondary: '', title: 'Save the visible stanzas\u2019 time span (of the sessions the JID filter names, if any) as a scenario script that replays it' } }, icon('beaker'), ' Save as Scenario');
    scenarioButton.addEventListener('click', () => actions.saveScenario());
    this.status = h('span', { class: 'status', attrs: { id: 'status', role: 'status' } });
    this.root = h(
      'div',
      { class: 'toolbar', attrs: { role: 'toolbar' } },
      h('div', { class: 'filters' }, ...Object.values(this.fields)),
      h('div', { class: 'actions' }, this.clearFiltersButton, this.passesButton, this.pauseButton, clearButton, exportButton, scenarioButton, this.status),
    );
  }

  value(): FilterState {
    const f = { ...EMPTY_FILTERS };
    for (const k of Object.keys(this.fields) as (keyof FilterState)[]) (f as Record<string, string>)[k] = this.fields[k].value ?? '';
    return f;
  }

  set(f: FilterState): void {
    for (const k of Object.keys(this.fields) as (keyof FilterState)[]) this.fields[k].value = f[k] ?? '';
  }

  /** Empty every filter field and tell the view (the button, and the empty list's hint). */
  clearFilters(actions: Pick<ToolbarActions, 'filtersChanged'>): void {
    this.set(EMPTY_FILTERS);
    actions.filtersChanged(this.value());
  }

  /** Clear Filters is offered only while a filter is set. */
  setFiltersActive(active: boolean): void {
    this.clearFiltersButton.toggleAttribute('disabled', !active);
  }

  setPasses(both: boolean): void {
    this.passesButton.setAttribute('aria-pressed', String(both));
    this.passesButton.classList.toggle('pressed', both);
  }

  setPaused(paused: boolean): void {
    clear(this.pauseButton);
    this.pauseButton.append(icon(paused ? 'debug-continue' : 'debug-pause'), paused ? ' Resume' : ' Pause');
    this.pauseButton.classList.toggle('paused', paused);
  }
}
