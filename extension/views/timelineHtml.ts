// The Timeline webview's HTML page: a toolbar of vscode-elements controls, the canvas, a tooltip
// and a screen-reader announcement region, under a strict Content Security Policy. Pure so the
// extension and the bench (a plain browser page) serve the same page.

export interface TimelineHtmlOptions {
  scriptUri: string;
  /** The webview's CSP source (webview.cspSource); empty for a plain page. */
  cspSource: string;
  nonce: string;
  title: string;
}

export function timelineHtml(o: TimelineHtmlOptions): string {
  const csp = [
    "default-src 'none'", `img-src ${o.cspSource} data:`, `style-src ${o.cspSource} 'unsafe-inline'`,
    `font-src ${o.cspSource}`, `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${escapeHtml(o.title)}</title>
<style>
  html, body { height: 100%; margin: 0; padding: 0; overflow: hidden; }
  body { display: flex; flex-direction: column; color: var(--vscode-foreground); background: var(--vscode-editor-background);
    font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
  #toolbar { display: flex; gap: 6px; align-items: center; padding: 4px 8px; flex-wrap: wrap; }
  #header { flex: 1 1 auto; min-width: 12em; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  #filter { width: 16em; }
  #timeline { flex: 1 1 auto; width: 100%; min-height: 0; display: block; outline: none; }
  #timeline:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: -1px; }
  #tooltip { position: fixed; z-index: 10; pointer-events: none; white-space: pre; padding: 4px 6px; max-width: 60vw;
    background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, inherit);
    border: 1px solid var(--vscode-editorHoverWidget-border, #454545); }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
</style>
</head>
<body>
<div id="toolbar" role="toolbar" aria-label="Timeline">
  <span id="header" aria-live="polite"></span>
  <vscode-textfield id="filter" placeholder="Filter tasks (shared with Async Tasks)" aria-label="Filter tasks"></vscode-textfield>
  <vscode-checkbox id="follow" checked label="Follow"></vscode-checkbox>
  <vscode-button id="zoomOut" secondary title="Zoom out (-)">−</vscode-button>
  <vscode-button id="zoomIn" secondary title="Zoom in (+)">+</vscode-button>
  <vscode-button id="fit" secondary title="Show everything (0)">Fit</vscode-button>
</div>
<canvas id="timeline" tabindex="0" role="application"
  aria-label="Task timeline. Up and Down choose a task, Left and Right its steps, Enter opens it, Space collapses, plus and minus zoom, A and D pan, 0 fits, F follows the present."></canvas>
<div id="tooltip" hidden></div>
<div id="announce" class="sr-only" aria-live="polite"></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]!));
}
