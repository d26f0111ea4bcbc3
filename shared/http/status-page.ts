/**
 * The status page's HTML shell: one self-contained document (inline style and script, no outside
 * asset, font or CDN) that holds no data itself. It is served without a key and shows nothing until
 * its script has fetched `status.json`, which is protected like /info. Loaded with `import()` by
 * the route only, so its ~10 KB stay out of the embed path's start-up.
 *
 * Its Content-Security-Policy is its own and stricter than "allow inline": the one inline script
 * and the one inline style are allowed by their SHA-256 (computed here once, when the module
 * loads), fetches may only go to this origin, and nothing may frame it, be posted from it or load
 * from elsewhere. Every other answer keeps the global `default-src 'none'` (apply-security.ts).
 */
import { createHash } from 'node:crypto';
import { STATUS_PAGE_SCRIPT } from './status-page-script';

const STYLE = `
:root { color-scheme: light; --ok: #1b7f3b; --warn: #a15c00; --bad: #b3261e; --muted: #5f6368; --line: #dadce0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #202124; background: #f6f7f9; }
header { display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: baseline; padding: 12px 20px; background: #202124; color: #fff; }
header h1 { margin: 0; font-size: 18px; }
header .meta { color: #c7c9cc; font-size: 13px; }
#connection[data-state="live"] { color: #8fe3a4; }
#connection[data-state="error"], #connection[data-state="auth"] { color: #ffb4a9; }
main { padding: 16px 20px; max-width: 1200px; }
[hidden] { display: none !important; }
.note { margin: 0 0 12px; color: var(--muted); }
.note.lambda { padding: 8px 12px; border-left: 4px solid var(--warn); background: #fff4e0; color: #3c2a00; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 12px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin-bottom: 12px; }
.card h2 { margin: 0 0 8px; font-size: 15px; }
.overflow { border-left: 6px solid var(--line); }
.overflow.active { border-left-color: var(--bad); background: #fdecea; }
.overflow.idle { border-left-color: var(--ok); }
#overflow-state { font-size: 17px; font-weight: 600; margin: 0 0 4px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 6px 12px; margin: 0 0 10px; }
.facts dt { color: var(--muted); font-size: 12px; }
.facts dd { margin: 0; font-size: 16px; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; }
.badge.warm { background: #e6f4ea; color: var(--ok); }
.badge.warming { background: #fef7e0; color: var(--warn); }
.badge.bad { background: #fce8e6; color: var(--bad); }
.muted { color: var(--muted); }
form#auth { max-width: 420px; }
form#auth input { width: 100%; padding: 6px 8px; margin: 6px 0; font: inherit; }
button { font: inherit; padding: 5px 12px; }
`;

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's own policy: the inline script and style by hash, fetches to this origin only. */
export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256(STATUS_PAGE_SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  // The favicon is an empty data: URL, so the browser asks for no /favicon.ico.
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The whole document. */
export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>embed-front-door status</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>embed-front-door status</h1>
  <span class="meta">runtime <span id="runtime">?</span></span>
  <span class="meta">updated <span id="updated">never</span></span>
  <span class="meta" id="connection" data-state="loading">loading</span>
  <button id="forget" type="button" hidden>Forget key</button>
</header>
<main>
  <form id="auth" class="card" hidden>
    <h2>Operator key</h2>
    <p id="auth-message" class="muted"></p>
    <label for="key">Paste an operator API key. It is kept in this tab only (sessionStorage) and sent as an Authorization header to status.json.</label>
    <input id="key" type="password" autocomplete="off" spellcheck="false">
    <button type="submit">Show status</button>
  </form>
  <div id="content" hidden>
    <p id="scope" class="note"></p>
    <section id="overflow" class="card overflow" data-active="false">
      <p id="overflow-state"></p>
      <p id="overflow-why" class="muted"></p>
    </section>
    <div id="tiers" class="grid"></div>
    <section class="card"><h2>Next scheduled bursts</h2><div id="bursts"></div></section>
    <div class="grid">
      <section class="card"><h2>Recent backend cold starts</h2><div id="cold-starts"></div></section>
      <section class="card"><h2>This front door's cold start</h2><div id="front-door"></div></section>
    </div>
  </div>
</main>
<script>${STATUS_PAGE_SCRIPT}</script>
</body>
</html>
`;
