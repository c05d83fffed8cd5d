// "Send a Test Message" asks for a recipient: the connected users, or any JID typed in (a user
// who is not connected gets it from the offline store). A plain showQuickPick only accepts its
// own items, so the typed text becomes the first item; a bare name gets the sandbox's domain.

import * as vscode from 'vscode';

/** The JID offered for what was typed: trimmed, with @domain added to a bare name. */
export function typedRecipient(value: string, domain: string): string | undefined {
  const v = value.trim();
  if (!v) return undefined;
  return v.includes('@') ? v : `${v}@${domain}`;
}

export function pickRecipient(known: string[], domain: string): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick();
  qp.title = 'Send a test message to…';
  qp.placeholder = 'A connected user, or type any JID (a user who is not connected gets it offline)';
  const base: vscode.QuickPickItem[] = known.map((jid) => ({ label: jid, description: 'connected' }));
  qp.items = base;
  qp.onDidChangeValue((value) => {
    const typed = typedRecipient(value, domain);
    qp.items = typed && !known.includes(typed) ? [{ label: typed, description: 'stored offline if not connected', alwaysShow: true }, ...base] : base;
  });
  return new Promise((resolve) => {
    let picked: string | undefined;
    qp.onDidAccept(() => {
      picked = qp.selectedItems[0]?.label ?? typedRecipient(qp.value, domain);
      qp.hide();
    });
    qp.onDidHide(() => {
      qp.dispose();
      resolve(picked);
    });
    qp.show();
  });
}
