// The extension's identifiers in one place: command ids, views, context keys and the
// settings section. package.json declares the same ids; test/src/ids.test.ts keeps the two
// in step (a command declared there but not here, or the other way round, fails it).

/** Every command the extension contributes (package.json `contributes.commands`). */
export const COMMANDS = {
  start: 'xmppSandbox.start',
  stop: 'xmppSandbox.stop',
  restart: 'xmppSandbox.restart',
  showLog: 'xmppSandbox.showLog',
  copyConnectionSettings: 'xmppSandbox.copyConnectionSettings',
  resetData: 'xmppSandbox.resetData',
  openInspector: 'xmppSandbox.openInspector',
  showActions: 'xmppSandbox.showActions',
  sendTestMessage: 'xmppSandbox.sendTestMessage',
  copyTreeValue: 'xmppSandbox.copyTreeValue',
  kickSession: 'xmppSandbox.kickSession',
  purgeQueueKey: 'xmppSandbox.purgeQueueKey',
  purgeOffline: 'xmppSandbox.purgeOffline',
  reloadPlugins: 'xmppSandbox.reloadPlugins',
  setExternalQueuePassword: 'xmppSandbox.setExternalQueuePassword',
  newProject: 'xmppSandbox.newProject',
  newWorkerForJid: 'xmppSandbox.newWorkerForJid',
  newBridgeForList: 'xmppSandbox.newBridgeForList',
  runScenario: 'xmppSandbox.runScenario',
  runScenarioToHere: 'xmppSandbox.runScenarioToHere',
  sendScenarioStep: 'xmppSandbox.sendScenarioStep',
  showRunInInspector: 'xmppSandbox.showRunInInspector',
  openQueueKey: 'xmppSandbox.openQueueKey',
  pushQueueItem: 'xmppSandbox.pushQueueItem',
  popQueueItem: 'xmppSandbox.popQueueItem',
  copyQueueItems: 'xmppSandbox.copyQueueItems',
} as const;
export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** Views (package.json `contributes.views`) and the status bar item. */
export const VIEWS = {
  explorer: 'xmppSandbox.explorer',
  statusBar: 'xmppSandbox.status',
} as const;

/** Context keys the `when` clauses of package.json read. */
export const CONTEXT_KEYS = {
  state: 'xmppSandbox.state',
  /** Set by XMPP: New Project… once it has written a project (the walkthrough step's completion event). */
  projectCreated: 'xmppSandbox.projectCreated',
  /** Set once Send a Test Message or Copy Connection Settings has done its job (the walkthrough's "Send a first stanza"). */
  firstStanzaSent: 'xmppSandbox.firstStanzaSent',
  /** True while a Stanza Inspector tab is open (its walkthrough step; hides "open the inspector" hints). */
  inspectorOpen: 'xmppSandbox.inspectorOpen',
} as const;

/** The settings section: `xmppSandbox.*`. */
export const SETTINGS_SECTION = 'xmppSandbox';
