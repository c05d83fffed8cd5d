// The inspector page: a strict CSP with a per-load nonce, the bundle and its stylesheet.
// VS Code-free so the webview tests load exactly this page (with a fake cspSource).
//
// CSP: scripts only with the nonce; styles only from the extension (vscode-elements adopts
// constructable stylesheets, which style-src does not govern, so no 'unsafe-inline');
// fonts (codicons) and images only from the extension; nothing else (no fetch, no frames).

export interface InspectorHtmlParts {
  /** webview.cspSource */
  cspSource: string;
  /** base64 from crypto.randomBytes, fresh for every page load */
  nonce: string;
  /** asWebviewUri(dist/webview.js) */
  scriptUri: string;
  /** asWebviewUri(dist/webview.css) (includes the codicon font face) */
  styleUri: string;
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function inspectorCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `font-src ${cspSource}`, `img-src ${cspSource}`].join('; ');
}

export function renderInspectorHtml(p: InspectorHtmlParts): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(inspectorCsp(p.cspSource, p.nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(p.styleUri)}">
<title>Stanza Inspector</title>
</head>
<body>
<script nonce="${attr(p.nonce)}" src="${attr(p.scriptUri)}"></script>
</body>
</html>`;
}
