#!/usr/bin/env node
// Drive the packaged gojaguard extension in real VS Code: code-server + headless Chromium through
// playwright-core. Nothing here knows which language server runs: the caller passes the .vsix,
// the workspace folder, the user settings (e.g. `gojaguard.path`) and a scenario.
//
// CLI:
//   node e2e/run_code_server.js --vsix gojaguard.vsix --workspace DIR \
//        [--settings FILE_OR_JSON] [--scenario FILE_OR_JSON] [--out DIR] \
//        [--code-server PATH] [--chromium PATH] [--port N] [--keep] [--no-copy] [--env NAME=VALUE ...]
//   The workspace is copied into a temporary profile dir first (--no-copy opens it in place);
//   --keep keeps that dir (code-server profile, extensions, workspace copy).
//   Defaults come from the environment written by .ci/install-editors.sh (source its env.sh):
//   CODE_SERVER, CHROMIUM, PLAYWRIGHT_CORE_DIR. Prints one JSON result line prefixed with
//   "E2E_RESULT " and exits 0 when every step passed, 1 otherwise.
//
// Scenario: { "steps": [ step, ... ], "timeoutMs": 60000 } — steps run in order, each an object
// with an "action":
//   {"action": "open", "file": "main.go"}                     open through Quick Open (Ctrl+P)
//   {"action": "diagnostics", "severity": "warning", "count": 1}   wait for squiggles in the editor
//        (severity: error|warning|info|hint; "count" exact, or "minCount"; only rendered lines
//        have squiggles: "line": 78 reveals that line first)
//   {"action": "problems", "expect": ["GJ101", "gojaguard"], "count": 1, "severity": "warning"}
//        open Problems and wait (up to the timeout) until its markers match: every "expect" string
//        in some marker, no "absent" string in any, exactly "count" markers (0 allowed), all of
//        "severity"; "file": "main.go" looks only at the markers under that file's row (file
//        rows are reported apart)
//   {"action": "hover", "line": 7, "column": 2, "expect": "text"}   hover at 1-based line/column
//        (column = LSP character + 1); "screenshot": "x.png" takes one while the hover shows
//        (or a list; an entry {"name": "x.png", "selector": ".part.editor"} shoots one element)
//   {"action": "hover", "word": "vm", "expect": "text"}             mouse-hover the last span == word
//   {"action": "status", "expect": "running"}                 the gojaguard status bar item's state
//   {"action": "command", "title": "gojaguard: Restart Server"}   run a command from the palette
//   {"action": "goto", "line": 9, "column": 1}                move the cursor
//   {"action": "type", "text": "...", "at": "end"}             type ("at": "end" = Ctrl+End first)
//   {"action": "line", "line": 13, "expect": "loop.StopNoWait()"}   wait until the editor renders
//        that line containing the text ("absent": text it must not contain)
//   {"action": "quickfix", "line": 13, "column": 4, "title": "Use StopNoWait()", "expect": ["Suppress"]}
//        cursor to line/column, Ctrl+. (Quick Fix), check the offered actions contain every
//        "expect" string, then apply the first whose title contains "title" (omit it to only look);
//        "screenshot" takes one while the menu shows (as for "hover")
//   {"action": "press", "key": "Escape"}
//   {"action": "output", "expect": "server running"}          show the gojaguard output channel and
//        wait for text in it (read from the channel's log file in the user-data dir)
//   {"action": "settings", "values": {"gojaguard.rules": {"GJ101": "error"}}}   change user settings
//        through the settings.json editor (null removes a key)
//   {"action": "screenshot", "name": "editor.png"}            full-page PNG into --out
//        ("selector": ".part.editor" = only that element)
//   {"action": "wait", "ms": 500}
// Add "optional": true to a step to record its failure without failing the run.
//
// Module: require('./run_code_server') exports the helpers (startCodeServer, installExtension,
// launchBrowser, openWorkbench, the step functions, runScenario).

'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');

// Gallery pointed at a closed loopback port: code-server must not reach for the marketplace.
const LOOPBACK_GALLERY = JSON.stringify({
  serviceUrl: 'http://127.0.0.1:9/gallery',
  itemUrl: 'http://127.0.0.1:9/items',
  resourceUrlTemplate: 'http://127.0.0.1:9/{publisher}/{name}/{version}/{path}',
});

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Settings that keep the workbench quiet and deterministic; the caller's settings win. */
const BASE_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.commandCenter.enabled': false,
  'chat.disableAIFeatures': true,
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'files.hotExit': 'off',
  'files.autoSave': 'off', // the web workbench defaults to afterDelay
  'editor.hover.delay': 200,
  'editor.minimap.enabled': false,
  'editor.stickyScroll.enabled': false, // its header covers the editor's first line
  'git.enabled': false,
};

function requirePlaywright() {
  const candidates = [];
  if (process.env.PLAYWRIGHT_CORE_DIR) candidates.push(process.env.PLAYWRIGHT_CORE_DIR);
  candidates.push('playwright-core');
  let lastErr;
  for (const c of candidates) {
    try {
      return require(c);
    } catch (e) {
      lastErr = e;
    }
  }
  throw new Error(`playwright-core not found (set PLAYWRIGHT_CORE_DIR or NODE_PATH; see .ci/install-editors.sh): ${lastErr}`);
}

function makeLogger(t0 = Date.now()) {
  return (...a) => console.error(`[e2e ${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function httpOk(url) {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(2000, () => {
      req.destroy();
      resolve(false);
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Write <userDataDir>/User/settings.json = BASE_SETTINGS + settings. */
function writeUserSettings(userDataDir, settings = {}) {
  const dir = path.join(userDataDir, 'User');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'settings.json');
  fs.writeFileSync(file, JSON.stringify({ ...BASE_SETTINGS, ...settings }, null, 2));
  return file;
}

function codeServerEnv(extra = {}, root) {
  const env = { ...process.env, EXTENSIONS_GALLERY: LOOPBACK_GALLERY, ...extra };
  if (root) {
    // code-server keeps config.yaml and logs under XDG dirs: keep them out of $HOME
    env.XDG_CONFIG_HOME = path.join(root, 'xdg-config');
    env.XDG_DATA_HOME = path.join(root, 'xdg-data');
  }
  // do not let an outer VS Code / code-server session leak into this one
  for (const k of Object.keys(env)) {
    if (k.startsWith('VSCODE_') || k === 'ELECTRON_RUN_AS_NODE') delete env[k];
  }
  return env;
}

/** code-server --install-extension VSIX (about a second). */
function installExtension({ codeServer, vsix, extensionsDir, userDataDir, env }) {
  const r = spawnSync(
    codeServer,
    ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', path.resolve(vsix), '--force'],
    { env: codeServerEnv(env, path.join(userDataDir, 'xdg')), encoding: 'utf8', timeout: 120000 },
  );
  const out = `${r.stdout || ''}${r.stderr || ''}`;
  if (r.status !== 0 || !/successfully installed|already installed/i.test(out)) {
    throw new Error(`--install-extension failed (exit ${r.status}): ${out.trim()}`);
  }
  return out.trim();
}

/**
 * Start code-server on a free loopback port with its own user-data and extensions dirs.
 * Returns { url(folder), port, userDataDir, extensionsDir, logFile, stop() }.
 */
async function startCodeServer({ codeServer, userDataDir, extensionsDir, port, logFile, env, log = () => {} }) {
  port = port || (await freePort());
  const args = [
    '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
    '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  const out = fs.openSync(logFile, 'a');
  const proc = spawn(codeServer, args, { env: codeServerEnv(env, path.join(userDataDir, 'xdg')), stdio: ['ignore', out, out], detached: true });
  fs.closeSync(out);
  let exited = null;
  proc.on('exit', (code, sig) => {
    exited = { code, sig };
  });
  const base = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  while (!(await httpOk(`${base}/healthz`))) {
    if (exited) throw new Error(`code-server exited early (${JSON.stringify(exited)}); see ${logFile}`);
    if (Date.now() - t0 > 60000) throw new Error(`code-server did not answer on ${base} within 60 s; see ${logFile}`);
    await sleep(100);
  }
  log(`code-server up on ${base} (${Date.now() - t0} ms)`);
  return {
    port,
    base,
    userDataDir,
    extensionsDir,
    logFile,
    proc,
    url: (folder) => `${base}/?folder=${encodeURIComponent(path.resolve(folder))}`,
    async stop() {
      if (exited) return;
      // its process group: code-server forks the extension host, which forks the language server
      try { process.kill(-proc.pid, 'SIGTERM'); } catch { /* gone */ }
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) {
        try { process.kill(-proc.pid, 'SIGKILL'); } catch { /* gone */ }
      }
    },
  };
}

/** Headless Chromium; with `xdgDir`, its crash reports and caches go there instead of $HOME. */
async function launchBrowser({ chromium = process.env.CHROMIUM || '/usr/bin/chromium', xdgDir } = {}) {
  const pw = requirePlaywright();
  const env = xdgDir
    ? { ...process.env, XDG_CONFIG_HOME: path.join(xdgDir, 'config'), XDG_CACHE_HOME: path.join(xdgDir, 'cache') }
    : undefined;
  return pw.chromium.launch({ executablePath: chromium, headless: true, args: CHROMIUM_ARGS, env });
}

/** Open the workbench for `url`; returns the page once the Explorer shows the folder. */
async function openWorkbench(browser, url, { viewport = { width: 1400, height: 900 }, log = () => {}, timeout = 60000 } = {}) {
  const page = await browser.newPage({ viewport });
  page.on('pageerror', (e) => log('pageerror:', e.message));
  await page.goto(url);
  await page.waitForSelector('.monaco-workbench', { timeout });
  await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout });
  log('workbench loaded');
  return page;
}

const activeEditor = '.editor-group-container.active .monaco-editor';

/** Open a workspace file by relative path through Quick Open. */
async function openFile(page, file, { timeout = 30000 } = {}) {
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, trial: true }).catch(() => {});
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(file);
  // wait for a result whose label is the file's base name, then accept it
  const base = path.basename(file);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: base }).first().waitFor({ timeout });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ timeout });
  await page.waitForSelector(`${activeEditor} .view-lines`, { timeout });
  await focusEditor(page);
  return base;
}

/**
 * Focus the active editor with "View: Focus First Editor Group" (Ctrl+1), from wherever the focus
 * is (Problems panel, a hover). Not a click: playwright scrolls the clicked element into view with
 * a native scroll, which Monaco (custom scrolling) then renders as an empty editor.
 */
async function focusEditor(page) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Control+1');
  await page.waitForFunction((sel) => !!document.activeElement && !!document.activeElement.closest(sel), activeEditor, { timeout: 5000 })
    .catch(() => {});
}

const SQUIGGLE = { error: 'squiggly-error', warning: 'squiggly-warning', info: 'squiggly-info', information: 'squiggly-info', hint: 'squiggly-hint' };

/** Wait until the active editor shows `count` (or at least `minCount`) squiggles of a severity. */
async function waitForDiagnostics(page, { severity = 'warning', count, minCount, timeout = 60000 } = {}) {
  const cls = SQUIGGLE[severity];
  if (!cls) throw new Error(`unknown severity ${severity}`);
  const sel = `${activeEditor} .${cls}`;
  await page.waitForFunction(
    ({ sel, count, minCount }) => {
      const n = document.querySelectorAll(sel).length;
      return count !== undefined ? n === count : n >= (minCount ?? 1);
    },
    { sel, count, minCount },
    { timeout },
  );
  return page.locator(sel).count();
}

/**
 * Open the Problems panel and read it: { files: [text], markers: [{file, severity, message, source,
 * code, codeLink, position, text, related: [text]}] } (only the rendered rows: file groups are
 * expanded by default; relatedInformation rows are listed under their marker).
 */
async function readProblems(page, { minMarkers = 1, timeout = 20000 } = {}) {
  if (!(await page.locator('.markers-panel').isVisible().catch(() => false))) {
    await page.keyboard.press('Control+Shift+M');
  }
  await page.waitForSelector('.markers-panel', { timeout });
  if (minMarkers > 0) {
    await page.waitForFunction(
      (n) => document.querySelectorAll('.markers-panel .monaco-tl-contents .marker-icon').length >= n,
      minMarkers,
      { timeout },
    );
  }
  // The tree is virtualized: only the rows in view are in the DOM. Scroll it from the top to the
  // bottom with the mouse wheel and collect the rows by their list index.
  const list = page.locator('.markers-panel .monaco-list').first();
  const rows = new Map();
  const box = await list.boundingBox().catch(() => null);
  if (box) {
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.wheel(0, -100000);
    await sleep(50);
  }
  for (let pass = 0; pass < 100; pass++) {
    const seen = await page.evaluate(readRenderedProblemRows);
    const before = rows.size;
    for (const r of seen) rows.set(r.index, r);
    if (!box || rows.size === before) break;
    await page.mouse.wheel(0, box.height * 0.8);
    await sleep(50);
  }
  if (box) await page.mouse.wheel(0, -100000);
  const files = [];
  const markers = [];
  let file = '';
  for (const r of [...rows.values()].sort((a, b) => a.index - b.index)) {
    if (r.kind === 'file') {
      file = r.name;
      files.push(file);
    } else if (r.kind === 'related') {
      if (markers.length) markers[markers.length - 1].related.push(r.text);
    } else {
      markers.push({ file, ...r.marker });
    }
  }
  return { files, markers };
}

/** In the page: the rendered rows of the Problems tree, each a file, a marker or a related-info row. */
function readRenderedProblemRows() {
  const txt = (el, sel) => (el.querySelector(sel)?.innerText ?? '').trim();
  const out = [];
  for (const row of document.querySelectorAll('.markers-panel .monaco-list-row')) {
    const c = row.querySelector('.monaco-tl-contents');
    if (!c) continue;
    const index = Number(row.getAttribute('data-index'));
    const icon = c.querySelector('.marker-icon');
    if (c.querySelector('.related-info-resource')) {
      // a diagnostic's relatedInformation: a child row of its marker
      out.push({ index, kind: 'related', text: c.innerText.trim().replace(/\s+/g, ' ') });
    } else if (!icon) {
      out.push({ index, kind: 'file', name: txt(c, '.label-name') || c.innerText.trim() });
    } else {
      out.push({
        index,
        kind: 'marker',
        marker: {
          severity: [...icon.classList].find((k) => k !== 'marker-icon') ?? '',
          message: txt(c, '.marker-message'),
          source: txt(c, '.marker-source'),
          code: txt(c, '.marker-code'),
          // the code is a link when the diagnostic has a codeDescription
          codeLink: c.querySelector('.marker-code')?.closest('a')?.getAttribute('href') ?? '',
          related: [],
          position: txt(c, '.marker-line'),
          text: c.innerText.trim(),
        },
      });
    }
  }
  return out;
}

/** The editor's cursor as the status bar shows it: { line, column } (column: visual, 1-based). */
async function cursorPosition(page) {
  const t = await page.locator('[id="status.editor.selection"]').innerText().catch(() => '');
  const m = /Ln (\d+), Col (\d+)/.exec(t);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
}

/**
 * Move the cursor to 1-based `line` and `column` (column = character index + 1, i.e. an LSP
 * position's character + 1). Uses Go to Line (Ctrl+G "line:column") and checks the status bar;
 * falls back to Ctrl+Home and arrow keys.
 */
async function gotoPosition(page, line, column = 1, { timeout = 10000 } = {}) {
  await focusEditor(page);
  await page.keyboard.press('Control+G');
  const input = page.locator('.quick-input-widget input');
  try {
    await input.waitFor({ state: 'visible', timeout });
    // Ctrl+G opens Quick Open with the ":" (go to line) prefix: keep it, else it searches files
    await input.fill(`:${line}:${column}`);
    await sleep(300); // the picker validates the typed position before Enter accepts it
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'hidden', timeout: 2000 });
  } catch {
    await page.keyboard.press('Escape');
  }
  const pos = await cursorPosition(page);
  if (pos && pos.line === line) return;
  // fallback: keyboard navigation (exact for character columns)
  await page.keyboard.press('Control+Home');
  for (let i = 1; i < line; i++) await page.keyboard.press('ArrowDown');
  for (let i = 1; i < column; i++) await page.keyboard.press('ArrowRight');
}

/**
 * Show the hover and return its text. With `word`: mouse over the last rendered span whose text
 * is exactly `word`; otherwise (or if the mouse hover does not appear) put the cursor at
 * line/column and use "Show Hover" (Ctrl+K Ctrl+I).
 */
async function showHover(page, { word, line, column = 1, expect, timeout = 10000 } = {}) {
  const hover = expect
    ? page.locator('.monaco-hover-content', { hasText: expect }).first()
    : page.locator('.monaco-hover-content').first();
  if (word) {
    const esc = word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const span = page.locator(`${activeEditor} .view-line span span`, { hasText: new RegExp(`^${esc}$`) }).last();
    await page.mouse.move(0, 0);
    const box = await span.boundingBox();
    if (box) {
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
      try {
        await hover.waitFor({ state: 'visible', timeout });
        return hover.innerText();
      } catch {
        // fall through to the keyboard
      }
    }
    if (line === undefined) {
      if (!box) throw new Error(`word ${word} not visible in the editor`);
      await span.click();
    }
  }
  if (line !== undefined) await gotoPosition(page, line, column);
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+I');
  await hover.waitFor({ state: 'visible', timeout });
  return hover.innerText();
}

/** The gojaguard status bar item: { text, label, state } (state parsed from the a11y label). */
async function readStatusItem(page, { expect, timeout = 30000 } = {}) {
  const item = page.locator('.statusbar-item[id$="gojaguard.status"] [aria-label], [aria-label^="gojaguard server"]').first();
  await item.waitFor({ state: 'attached', timeout });
  if (expect) {
    await page.waitForFunction(
      (want) => {
        const el = document.querySelector('[aria-label^="gojaguard server"]');
        return !!el && el.getAttribute('aria-label') === `gojaguard server ${want}`;
      },
      expect,
      { timeout },
    );
  }
  const label = (await item.getAttribute('aria-label')) || '';
  const text = (await item.innerText()).trim();
  return { label, text, state: label.replace(/^gojaguard server /, '') };
}

/** Run a command by its palette title (e.g. "gojaguard: Restart Server"). */
async function runCommand(page, title, { timeout = 10000 } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(`>${title}`);
  // the palette filters fuzzily: ">Delete Line" lists "Delete Duplicate Lines" first. Take the row
  // whose label is the title exactly (else the first that contains it) and click it.
  const esc = title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const rows = page.locator('.quick-input-list .monaco-list-row');
  const exact = rows.filter({ has: page.locator('.label-name', { hasText: new RegExp(`^\\s*${esc}\\s*$`) }) }).first();
  await rows.filter({ hasText: title }).first().waitFor({ timeout });
  const row = (await exact.count()) ? exact : rows.filter({ hasText: title }).first();
  await row.click();
  await input.waitFor({ state: 'hidden', timeout }).catch(() => {});
}

/**
 * The text of an extension output channel as VS Code persists it:
 * <user-data>/logs/<session>/exthostN/output_logging_<time>/<n>-<channel>.log (newest one).
 */
function readOutputLog(userDataDir, channel = 'gojaguard') {
  const files = [];
  const walk = (dir, depth) => {
    let entries = [];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && depth < 4) walk(p, depth + 1);
      else if (e.isFile() && /^\d+-/.test(e.name) && e.name.replace(/^\d+-/, '') === `${channel}.log`) files.push(p);
    }
  };
  walk(path.join(userDataDir, 'logs'), 0);
  if (!files.length) return '';
  files.sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  return fs.readFileSync(files[files.length - 1], 'utf8');
}

/**
 * Show the gojaguard output channel (command "gojaguard: Show Output") and wait until its
 * persisted log contains `expect` (the panel only renders the visible lines). Returns the log.
 */
async function readOutput(page, userDataDir, { expect, timeout = 15000 } = {}) {
  await runCommand(page, 'gojaguard: Show Output');
  await page.locator('.part.panel .monaco-editor .view-lines').first().waitFor({ state: 'visible', timeout });
  const t0 = Date.now();
  for (;;) {
    const text = readOutputLog(userDataDir);
    if (!expect || text.includes(expect)) return text;
    if (Date.now() - t0 > timeout) throw new Error(`output channel lacks ${JSON.stringify(expect)}:\n${text.slice(-2000)}`);
    await sleep(200);
  }
}

/**
 * Change user settings the way a user does: open "Preferences: Open User Settings (JSON)",
 * replace the text, save, revert-and-close the tab. (code-server does not notice a settings.json written
 * behind its back.) Waits until the file on disk holds the merged settings; returns its path.
 */
async function changeSettings(page, userDataDir, values, { timeout = 15000 } = {}) {
  const file = path.join(userDataDir, 'User', 'settings.json');
  const merged = { ...JSON.parse(fs.readFileSync(file, 'utf8')), ...values };
  for (const [k, v] of Object.entries(values)) if (v === null) delete merged[k];
  await runCommand(page, 'Preferences: Open User Settings (JSON)', { timeout });
  await page.locator('.tabs-container .tab.active', { hasText: 'settings.json' }).waitFor({ timeout });
  const editor = page.locator(`${activeEditor} .view-lines`).first();
  await editor.waitFor({ state: 'visible', timeout });
  await editor.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  // one line: no auto-indentation; insertText triggers no auto-closing of brackets and quotes
  await page.keyboard.insertText(JSON.stringify(merged));
  await page.keyboard.press('Control+S');
  const want = JSON.stringify(merged);
  const t0 = Date.now();
  for (;;) {
    let now;
    try { now = JSON.stringify(JSON.parse(fs.readFileSync(file, 'utf8'))); } catch { now = undefined; }
    if (now === want) break;
    if (Date.now() - t0 > timeout) throw new Error(`settings.json was not saved as expected: ${fs.readFileSync(file, 'utf8')}`);
    await sleep(100);
  }
  // the text is on disk: close without any "save changes?" dialog
  await runCommand(page, 'View: Revert and Close Editor', { timeout });
  await page.locator('.tabs-container .tab', { hasText: 'settings.json' }).waitFor({ state: 'detached', timeout });
  return file;
}

/** Check a Problems reading against a "problems" step; returns an error message or ''. */
function problemsMismatch(p, step) {
  const markers = step.file ? p.markers.filter((m) => m.file === step.file) : p.markers;
  const joined = markers.map((m) => m.text).join('\n');
  for (const w of asList(step.expect)) {
    if (!joined.includes(w)) return `Problems panel lacks ${JSON.stringify(w)}`;
  }
  for (const w of asList(step.absent)) {
    if (joined.includes(w)) return `Problems panel still has ${JSON.stringify(w)}`;
  }
  if (step.count !== undefined && markers.length !== step.count) {
    return `Problems panel has ${markers.length} markers${step.file ? ` for ${step.file}` : ''}, want ${step.count}`;
  }
  if (step.severity && markers.some((m) => m.severity !== step.severity)) return `Problems panel severities differ from ${step.severity}`;
  return '';
}

/** Poll the Problems panel until it matches the step (see problemsMismatch) or the timeout. */
async function waitForProblems(page, step, { timeout = 20000 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const want = asList(step.expect).length ? 1 : 0;
    const p = await readProblems(page, { minMarkers: 0, timeout });
    const markers = step.file ? p.markers.filter((m) => m.file === step.file) : p.markers;
    const why = markers.length < (step.count ?? want) ? `Problems panel has ${markers.length} markers` : problemsMismatch(p, step);
    if (!why) return { ...p, markers };
    if (Date.now() - t0 > timeout) throw new Error(`${why}: ${JSON.stringify(p.markers)}`);
    await sleep(200);
  }
}

/**
 * The text of a rendered line of the active editor (1-based), or undefined when it is not
 * rendered. Monaco positions line numbers and view lines absolutely: match them by `top`.
 */
async function lineText(page, line) {
  return page.evaluate(({ sel, line }) => {
    const ed = document.querySelector(sel);
    if (!ed) return undefined;
    const num = [...ed.querySelectorAll('.margin-view-overlays .line-numbers')].find((el) => el.textContent.trim() === String(line));
    if (!num) return undefined;
    const top = num.closest('[style*="top"]')?.style.top ?? num.parentElement?.style.top;
    const view = [...ed.querySelectorAll('.view-lines .view-line')].find((el) => el.style.top === top);
    return view ? view.textContent.replace(/\u00a0/g, ' ') : undefined;
  }, { sel: activeEditor, line });
}

/** Reveal a line, then wait until its rendered text contains `expect` (and not `absent`). */
async function waitForLine(page, { line, expect, absent, timeout = 20000 } = {}) {
  await gotoPosition(page, line, 1);
  const t0 = Date.now();
  for (;;) {
    const text = await lineText(page, line);
    const ok = text !== undefined && (!expect || text.includes(expect)) && (!absent || !text.includes(absent));
    if (ok) return text;
    if (Date.now() - t0 > timeout) throw new Error(`line ${line} is ${JSON.stringify(text)}; want ${expect ? `it to contain ${JSON.stringify(expect)}` : ''}${absent ? ` no ${JSON.stringify(absent)}` : ''}`);
    await sleep(200);
  }
}

/**
 * Quick Fix at a position: cursor there, Ctrl+. opens the code action menu; returns the offered
 * titles. With `title`, applies the first action whose title contains it. `screenshot` (a
 * function) is called while the menu shows.
 */
async function quickFix(page, { line, column = 1, title, expect = [], screenshot, timeout = 20000 } = {}) {
  await gotoPosition(page, line, column);
  const rows = page.locator('.action-widget .monaco-list-row.action');
  const t0 = Date.now();
  let titles = [];
  // the server may still be answering for the last edit: reopen the menu until it lists the actions
  for (;;) {
    await page.keyboard.press('Control+.');
    try {
      await rows.first().waitFor({ state: 'visible', timeout: Math.min(5000, timeout) });
      titles = (await rows.allInnerTexts()).map((t) => t.trim().split('\n')[0]);
      if (asList(expect).every((w) => titles.some((t) => t.includes(w))) && (!title || titles.some((t) => t.includes(title)))) break;
    } catch {
      // "No code actions available" or no menu yet
    }
    await page.keyboard.press('Escape');
    if (Date.now() - t0 > timeout) throw new Error(`quick fix menu at ${line}:${column} offers ${JSON.stringify(titles)}; want ${JSON.stringify([...asList(expect), ...(title ? [title] : [])])}`);
    await sleep(300);
  }
  if (screenshot) await screenshot();
  if (!title) {
    await page.keyboard.press('Escape');
    return { titles };
  }
  // by keyboard, as a user does (a mouse click on a row is eaten by the widget's hover tracking)
  const want = titles.findIndex((t) => t.includes(title));
  for (let i = 0; i < titles.length + 2; i++) {
    const focused = await rows.evaluateAll((els) => els.findIndex((e) => e.classList.contains('focused')));
    if (focused === want) break;
    await page.keyboard.press(focused < want ? 'ArrowDown' : 'ArrowUp');
  }
  await page.keyboard.press('Enter');
  await page.locator('.action-widget').waitFor({ state: 'hidden', timeout }).catch(() => {});
  return { titles, applied: titles.find((t) => t.includes(title)) };
}

/**
 * Take the screenshots a step asks for: "screenshot" is a file name (full page) or a list of them,
 * each a name or {"name", "selector"} (that element only, e.g. ".part.editor"). Returns the files.
 */
async function takeScreenshots(page, spec, outDir) {
  const files = [];
  for (const s of asList(spec)) {
    const { name, selector } = typeof s === 'string' ? { name: s } : s;
    const file = path.join(outDir, name);
    if (selector) await page.locator(selector).first().screenshot({ path: file });
    else await page.screenshot({ path: file });
    files.push(file);
  }
  return files;
}

function asList(x) {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** Run one scenario step; returns a JSON-able record of what was seen. */
async function runStep(page, step, ctx) {
  const { outDir, timeout } = ctx;
  const t = step.timeoutMs || timeout;
  switch (step.action) {
    case 'open':
      return { opened: await openFile(page, step.file, { timeout: t }) };
    case 'diagnostics': {
      // only rendered lines have squiggles: "line" scrolls that line into view first
      if (step.line !== undefined) await gotoPosition(page, step.line, 1);
      const n = await waitForDiagnostics(page, { severity: step.severity, count: step.count, minCount: step.minCount, timeout: t });
      return { count: n };
    }
    case 'problems': {
      // "expect": strings every one of which some marker's text must contain; "count": exact
      // number of markers; "severity": all markers must have it (error|warning|info|hint)
      // "absent": strings no marker may contain; "file": only that file's markers. Polls until
      // everything holds, so it also waits for diagnostics to follow an edit.
      return waitForProblems(page, step, { timeout: t });
    }
    case 'line':
      return { text: await waitForLine(page, { line: step.line, expect: step.expect, absent: step.absent, timeout: t }) };
    case 'quickfix':
      return quickFix(page, {
        line: step.line, column: step.column, title: step.title, expect: step.expect, timeout: t,
        screenshot: step.screenshot && (() => takeScreenshots(page, step.screenshot, outDir)),
      });
    case 'hover': {
      const text = await showHover(page, { word: step.word, line: step.line, column: step.column, expect: step.expect, timeout: t });
      const files = step.screenshot ? await takeScreenshots(page, step.screenshot, outDir) : [];
      await page.keyboard.press('Escape');
      return files.length ? { hover: text, files } : { hover: text };
    }
    case 'status':
      return readStatusItem(page, { expect: step.expect, timeout: t });
    case 'command':
      await runCommand(page, step.title, { timeout: t });
      return {};
    case 'goto':
      await gotoPosition(page, step.line, step.column);
      return {};
    case 'type':
      if (step.at === 'end') await page.keyboard.press('Control+End');
      await page.keyboard.type(step.text);
      return {};
    case 'press':
      await page.keyboard.press(step.key);
      return {};
    case 'output': {
      const text = await readOutput(page, ctx.userDataDir, { expect: step.expect, timeout: t });
      return { output: text.split('\n').slice(-20).join('\n') };
    }
    case 'screenshot': {
      const [file] = await takeScreenshots(page, { name: step.name || `shot-${Date.now()}.png`, selector: step.selector }, outDir);
      return { file };
    }
    case 'settings':
      return { file: await changeSettings(page, ctx.userDataDir, step.values, { timeout: t }) };
    case 'wait':
      await sleep(step.ms || 500);
      return {};
    default:
      throw new Error(`unknown action ${JSON.stringify(step.action)}`);
  }
}

/**
 * Install the .vsix into a fresh code-server profile, start it on the workspace, and run the
 * scenario in headless Chromium. Returns { ok, steps: [{step, ok, ms, result|error}], outDir }.
 */
async function runScenario(opts) {
  const log = opts.log || makeLogger();
  const codeServer = opts.codeServer || process.env.CODE_SERVER;
  if (!codeServer) throw new Error('no code-server: pass --code-server or set CODE_SERVER (source env.sh of .ci/install-editors.sh)');
  if (!opts.vsix || !fs.existsSync(opts.vsix)) throw new Error(`no .vsix at ${opts.vsix}`);
  if (!opts.workspace || !fs.statSync(opts.workspace).isDirectory()) throw new Error(`no workspace folder at ${opts.workspace}`);
  const outDir = path.resolve(opts.outDir || fs.mkdtempSync(path.join(os.tmpdir(), 'gojaguard-e2e-out-')));
  fs.mkdirSync(outDir, { recursive: true });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gojaguard-e2e-'));
  const userDataDir = path.join(root, 'user-data');
  const extensionsDir = path.join(root, 'extensions');
  fs.mkdirSync(extensionsDir, { recursive: true });
  writeUserSettings(userDataDir, opts.settings || {});
  // work on a copy: typing in the editor must never change the caller's fixture
  let workspace = path.resolve(opts.workspace);
  if (opts.copyWorkspace !== false) {
    const copy = path.join(root, 'workspace', path.basename(workspace));
    fs.cpSync(workspace, copy, { recursive: true });
    workspace = copy;
  }
  const timeout = (opts.scenario && opts.scenario.timeoutMs) || 60000;
  const steps = (opts.scenario && opts.scenario.steps) || [];
  const result = { ok: false, outDir, profile: root, workspace, steps: [] };

  let t = Date.now();
  log('install', installExtension({ codeServer, vsix: opts.vsix, extensionsDir, userDataDir, env: opts.env }).split('\n').pop());
  log(`extension installed (${Date.now() - t} ms)`);
  const cs = await startCodeServer({ codeServer, userDataDir, extensionsDir, port: opts.port, logFile: path.join(outDir, 'code-server.log'), env: opts.env, log });
  let browser;
  try {
    browser = await launchBrowser({ chromium: opts.chromium, xdgDir: path.join(root, 'chromium-xdg') });
    const page = await openWorkbench(browser, cs.url(workspace), { log, timeout });
    let failed = false;
    for (const step of steps) {
      t = Date.now();
      try {
        const r = await runStep(page, step, { outDir, log, timeout, userDataDir });
        result.steps.push({ step, ok: true, ms: Date.now() - t, result: r });
        log(`ok   ${step.action} (${Date.now() - t} ms)`, JSON.stringify(r).slice(0, 300));
      } catch (e) {
        const shot = path.join(outDir, `failure-${result.steps.length}-${step.action}.png`);
        await page.screenshot({ path: shot }).catch(() => {});
        result.steps.push({ step, ok: false, ms: Date.now() - t, error: String(e && e.message || e).split('\n')[0], screenshot: shot });
        log(`FAIL ${step.action} (${Date.now() - t} ms): ${String(e && e.message || e).split('\n')[0]} — screenshot ${shot}`);
        if (!step.optional) {
          failed = true;
          break;
        }
      }
    }
    result.ok = !failed;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await cs.stop();
    // keep the extension host logs next to the screenshots (they hold the "gojaguard" channel)
    copyLogs(userDataDir, outDir);
    if (!opts.keep) fs.rmSync(root, { recursive: true, force: true });
  }
  return result;
}

/** Copy <user-data>/logs (extension host + output channels) into outDir/logs. */
function copyLogs(userDataDir, outDir) {
  const src = path.join(userDataDir, 'logs');
  if (fs.existsSync(src)) {
    try {
      fs.cpSync(src, path.join(outDir, 'logs'), { recursive: true });
    } catch {
      /* best effort */
    }
  }
}

function jsonArg(v) {
  if (v === undefined) return undefined;
  const s = v.trim();
  return JSON.parse(s.startsWith('{') || s.startsWith('[') ? s : fs.readFileSync(s, 'utf8'));
}

function parseArgs(argv) {
  const o = { env: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    switch (a) {
      case '--vsix': o.vsix = next(); break;
      case '--workspace': o.workspace = path.resolve(next()); break;
      case '--settings': o.settings = jsonArg(next()); break;
      case '--scenario': o.scenario = jsonArg(next()); break;
      case '--out': o.outDir = next(); break;
      case '--code-server': o.codeServer = next(); break;
      case '--chromium': o.chromium = next(); break;
      case '--port': o.port = Number(next()); break;
      case '--keep': o.keep = true; break;
      case '--no-copy': o.copyWorkspace = false; break;
      case '--env': { const [k, ...v] = next().split('='); o.env[k] = v.join('='); break; }
      case '-h': case '--help':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
        process.exit(0);
        break;
      default: throw new Error(`unknown argument ${a}`);
    }
  }
  if (Array.isArray(o.scenario)) o.scenario = { steps: o.scenario };
  return o;
}

module.exports = {
  BASE_SETTINGS,
  LOOPBACK_GALLERY,
  CHROMIUM_ARGS,
  writeUserSettings,
  installExtension,
  startCodeServer,
  launchBrowser,
  openWorkbench,
  openFile,
  waitForDiagnostics,
  readProblems,
  waitForProblems,
  lineText,
  waitForLine,
  quickFix,
  takeScreenshots,
  gotoPosition,
  focusEditor,
  cursorPosition,
  showHover,
  readStatusItem,
  runCommand,
  changeSettings,
  readOutput,
  readOutputLog,
  runStep,
  runScenario,
  parseArgs,
};

if (require.main === module) {
  (async () => {
    const opts = parseArgs(process.argv.slice(2));
    const res = await runScenario(opts);
    console.log('E2E_RESULT ' + JSON.stringify(res));
    process.exit(res.ok ? 0 : 1);
  })().catch((e) => {
    console.error('E2E_ERROR', e && e.stack || e);
    process.exit(2);
  });
}
