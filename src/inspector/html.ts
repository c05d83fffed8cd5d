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

/**
 * The two style attributes Blink writes into the <parsererror> document DOMParser returns for
 * malformed XML (the composer's live check). The document is inert and only its text is
 * read, but without these hashes every keystroke of invalid XML logs two CSP errors.
 * style-src-attr with 'unsafe-hashes' allows exactly these two values, nothing else.
 */
export const PARSERERROR_STYLE_HASHES = ['sha256-ICa0DhwZQJsOd/Rn0N8H6FdQ71GfNL+op2zhAQ+Y4mM=', 'sha256-ZD0chCyBaNHl+4UwQHJIHGoYhKwMeyCXGgJTKW5/67E='];

export function inspectorCsp(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `style-src-attr 'unsafe-hashes' ${PARSERERROR_STYLE_HASHES.map((h) => `'${h}'`).join(' ')}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource}`,
  ].join('; ');
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
