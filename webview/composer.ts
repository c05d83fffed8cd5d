// The composer: send a stanza as a connected session or as any JID (stanza.inject), from a
// template or typed by hand. The XML is checked as you type by the sandbox's own stanza
// validator (through src/protocol.ts), and again in the host and the sandbox. Sent stanzas
// are kept (persisted) for re-use.

import { LIMITS, looksLikeJid, validateStanza, type SentStanza, type SessionView } from '../src/protocol';
import { h, icon, clear } from './dom';

export const TEMPLATE_IDS = ['chat', 'headline', 'ping', 'disco-info', 'version', 'priority'] as const;
export type TemplateId = (typeof TEMPLATE_IDS)[number];

const TEMPLATE_LABELS: Record<TemplateId, string> = {
  chat: 'message: chat',
  headline: 'message: headline',
  ping: 'iq: ping (XEP-0199)',
  'disco-info': 'iq: disco#info (XEP-0030)',
  version: 'iq: software version (XEP-0092)',
  priority: 'presence: priority change',
};

let idCounter = 0;
function newId(): string {
  return `insp-${Date.now().toString(36)}-${++idCounter}`;
}

function escAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/** The XML field's example while it is empty. */
export function examplePlaceholder(domain: string): string {
  return `<message to="bob@${domain}" type="chat"><body>hi</body></message>`;
}

/** A template's XML. `to` is the peer for messages, `domain` the server for iqs. */
export function templateXml(id: TemplateId, to: string, domain: string): string {
  const peer = escAttr(to);
  const server = escAttr(domain);
  switch (id) {
    case 'chat':
      return `<message type="chat" to="${peer}" id="${newId()}">\n  <body>Hello from the inspector</body>\n</message>`;
    case 'headline':
      return `<message type="headline" to="${peer}">\n  <subject>Build finished</subject>\n  <body>All tests passed</body>\n</message>`;
    case 'ping':
      return `<iq type="get" to="${server}" id="${newId()}">\n  <ping xmlns="urn:xmpp:ping"/>\n</iq>`;
    case 'disco-info':
      return `<iq type="get" to="${server}" id="${newId()}">\n  <query xmlns="http://jabber.org/protocol/disco#info"/>\n</iq>`;
    case 'version':
      return `<iq type="get" to="${server}" id="${newId()}">\n  <query xmlns="jabber:iq:version"/>\n</iq>`;
    case 'priority':
      return `<presence>\n  <priority>5</priority>\n</presence>`;
  }
}

export interface ComposerHost {
  send(as: string, xml: string): void;
}

type ValueElement = HTMLElement & { value: string; disabled: boolean };

export class Composer {
  readonly root: HTMLElement;
  private readonly asField: ValueElement;
  private readonly sessionSelect: ValueElement;
  private readonly templateSelect: ValueElement;
  private readonly xmlField: ValueElement;
  private readonly status: HTMLElement;
  private readonly sendButton: ValueElement;
  private readonly historyList: HTMLElement;
  private sessions: SessionView[] = [];
  private components: string[] = [];
  private domain = 'localhost';
  private running = false;
  private valid = false;
  sent: SentStanza[] = [];

  constructor(
    private readonly host: ComposerHost,
    private readonly onChange: () => void,
  ) {
    this.sessionSelect = h('vscode-single-select', { attrs: { id: 'composer-session', 'aria-label': 'Connected sessions' } }) as ValueElement;
    this.asField = h('vscode-textfield', { attrs: { id: 'composer-as', placeholder: 'full JID of a session, or any JID', 'aria-label': 'Send as' } }) as ValueElement;
    this.templateSelect = h(
      'vscode-single-select',
      { attrs: { id: 'composer-template', 'aria-label': 'Template' } },
      h('vscode-option', { attrs: { value: '' } }, 'Template…'),
      ...TEMPLATE_IDS.map((t) => h('vscode-option', { attrs: { value: t } }, TEMPLATE_LABELS[t])),
    ) as ValueElement;
    this.xmlField = h('vscode-textarea', { class: 'composer-xml', attrs: { id: 'composer-xml', rows: '6', monospace: '', placeholder: examplePlaceholder('localhost'), 'aria-label': 'Stanza XML' } }) as ValueElement;
    this.status = h('div', { class: 'composer-status', attrs: { id: 'composer-status', role: 'status' } });
    this.sendButton = h('vscode-button', { attrs: { id: 'composer-send' } }, icon('send'), ' Send') as ValueElement;
    this.historyList = h('ul', { class: 'composer-history', attrs: { id: 'composer-history' } });

    this.sessionSelect.addEventListener('change', () => {
      if (this.sessionSelect.value) this.asField.value = this.sessionSelect.value;
      this.validate();
      this.onChange();
    });
    this.asField.addEventListener('input', () => {
      this.validate();
      this.onChange();
    });
    this.templateSelect.addEventListener('change', () => {
      const t = this.templateSelect.value as TemplateId | '';
      if (t) this.applyTemplate(t);
    });
    this.xmlField.addEventListener('input', () => {
      this.validate();
      this.onChange();
    });
    this.sendButton.addEventListener('click', () => this.submit());

    this.root = h(
      'div',
      { class: 'composer' },
      h('div', { class: 'composer-row' }, h('label', { attrs: { for: 'composer-as' } }, 'As'), this.asField, this.sessionSelect),
      h('div', { class: 'composer-row' }, h('label', { attrs: { for: 'composer-template' } }, 'Stanza'), this.templateSelect),
      this.xmlField,
      h('div', { class: 'composer-row' }, this.status, this.sendButton),
      h('details', { class: 'composer-sent' }, h('summary', null, 'Sent stanzas'), this.historyList),
    );
    this.renderSessions();
    this.validate();
  }

  applyTemplate(t: TemplateId): void {
    const as = this.asField.value.trim();
    const peer = this.sessions.map((s) => s.bareJid).find((b) => !as.startsWith(b)) ?? `someone@${this.domain}`;
    this.xmlField.value = templateXml(t, peer, this.domain);
    this.templateSelect.value = t;
    this.validate();
    this.onChange();
  }

  /** Check the current input; returns the error, or null when it can be sent. */
  validate(): string | null {
    const as = this.asField.value.trim();
    const parsed = validateStanza(this.xmlField.value, { maxBytes: LIMITS.stanzaXmlBytes });
    let error: string | null = null;
    if (!this.running) error = 'The sandbox is not running.';
    else if (!as) error = 'Choose who sends it (a session or any JID).';
    else if (!looksLikeJid(as)) error = `"${as}" is not a JID.`;
    else if (!parsed.ok) error = `XML: ${parsed.message}`;
    this.valid = error === null;
    this.status.textContent = error ?? 'Ready to send.';
    this.status.classList.toggle('error', !!error && this.xmlField.value.trim() !== '');
    this.sendButton.disabled = !this.valid;
    this.xmlField.toggleAttribute('invalid', !parsed.ok && this.xmlField.value.trim() !== '');
    return error;
  }

  private submit(): void {
    if (this.validate()) return;
    const as = this.asField.value.trim();
    const xml = this.xmlField.value;
    this.host.send(as, xml);
    this.status.textContent = 'Sending…';
  }

  /** The host answered a send. */
  sendResult(as: string, xml: string, result: { ok: true; packetId: string } | { ok: false; error: string }): void {
    if (result.ok) {
      this.sent.unshift({ as, xml, at: Date.now(), packetId: result.packetId });
      this.sent.length = Math.min(this.sent.length, 25);
      this.status.textContent = `Sent as ${result.packetId}.`;
      this.status.classList.remove('error');
      this.renderHistory();
      this.onChange();
    } else {
      this.status.textContent = `Not sent: ${result.error}`;
      this.status.classList.add('error');
    }
  }

  setRunning(running: boolean, domain: string | null): void {
    this.running = running;
    if (domain) this.domain = domain;
    // The example names the sandbox's own domain, not a made-up one.
    this.xmlField.setAttribute('placeholder', examplePlaceholder(this.domain));
    this.renderSessions();
    this.validate();
  }

  setSessions(sessions: SessionView[], components: string[] = []): void {
    this.sessions = sessions;
    this.components = components;
    this.renderSessions();
  }

  private renderSessions(): void {
    clear(this.sessionSelect);
    // stanza.inject: a session's full JID sends as that session (outgoing); any other address
    // (a component, the server) is processed as incoming from it.
    this.sessionSelect.append(h('vscode-option', { attrs: { value: '' } }, this.sessions.length ? 'Sessions…' : 'No sessions'));
    for (const s of this.sessions) for (const r of s.resources) this.sessionSelect.append(h('vscode-option', { attrs: { value: r.fullJid } }, `${r.fullJid} (${r.transport}${r.available ? '' : ', unavailable'})`));
    for (const c of this.components) this.sessionSelect.append(h('vscode-option', { attrs: { value: c } }, `${c} (component)`));
    if (this.running) this.sessionSelect.append(h('vscode-option', { attrs: { value: this.domain } }, `${this.domain} (the server)`));
  }

  private renderHistory(): void {
    clear(this.historyList);
    for (const s of this.sent) {
      this.historyList.append(
        h(
          'li',
          null,
          h(
            'a',
            {
              attrs: { href: '#' },
              title: s.xml,
              on: {
                click: (ev) => {
                  ev.preventDefault();
                  this.asField.value = s.as;
                  this.xmlField.value = s.xml;
                  this.validate();
                  this.onChange();
                },
              },
            },
            icon('history'),
            ` ${new Date(s.at).toLocaleTimeString()} as ${s.as}: ${s.xml.replace(/\s+/g, ' ').slice(0, 80)}`,
          ),
          s.packetId ? h('span', { class: 'sent-id' }, ` ${s.packetId}`) : null,
        ),
      );
    }
  }

  getState(): { as: string; xml: string; template: string } {
    return { as: this.asField.value, xml: this.xmlField.value, template: this.templateSelect.value };
  }

  restore(state: { as: string; xml: string; template: string } | undefined, sent: SentStanza[] | undefined): void {
    if (state) {
      this.asField.value = state.as;
      this.xmlField.value = state.xml;
    }
    if (sent) this.sent = sent.slice(0, 25);
    this.renderHistory();
    this.validate();
  }
}
