// Drives the VS Code workbench served by code-server through Debian chromium (playwright-core), the way a user
// would: Quick Open, command palette, Problems panel, tree views, status bar, debug toolbar. Every wait is on a
// UI condition (auto-waiting locators / waitForFunction); every step can leave a screenshot in test-results/e2e/.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './codeServer';

export const RESULTS_DIR = join(REPO_ROOT, 'test-results', 'e2e');
const UI_TIMEOUT = 60_000;

// Page-side callbacks run in the browser. The program is compiled without lib.dom (it is Node code), so the
// few DOM members those callbacks touch are described here and reached through globalThis.
interface DomElement {
  textContent: string | null;
  innerText: string;
  style: { top: string; display: string };
  getAttribute(name: string): string | null;
  closest(selector: string): DomElement | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
}
interface DomGlobals {
  document: { activeElement: DomElement | null; querySelector(selector: string): DomElement | null };
}

export interface ProblemRow {
  text: string;
  ariaLabel: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Workbench {
  private shot = 0;
  readonly consoleLines: string[] = [];

  private constructor(
    private readonly browser: Browser,
    readonly page: Page,
    readonly artifactsDir: string,
  ) {
    page.on('console', (m) => this.consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`[pageerror] ${e.message}`));
  }

  /** Launches chromium, opens the workbench and waits until it is interactive. */
  static async open(url: string, testName: string): Promise<Workbench> {
    const artifactsDir = join(RESULTS_DIR, testName.replace(/[^\w.-]+/g, '-').slice(0, 80));
    rmSync(artifactsDir, { recursive: true, force: true }); // no stale screenshots from an earlier run
    mkdirSync(artifactsDir, { recursive: true });
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1, colorScheme: 'dark' });
      const page = await context.newPage();
      page.setDefaultTimeout(UI_TIMEOUT);
      const wb = new Workbench(browser, page, artifactsDir);
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      await wb.waitForWorkbench();
      return wb;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  private async waitForWorkbench(): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ state: 'visible' });
    // The explorer shows the folder once the remote (code-server) connection and file service are up.
    await this.page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ state: 'visible' });
    // Status bar items appear once the extension host has started and processed contributions.
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ state: 'visible' });
  }

  async close(): Promise<void> {
    await this.browser.close().catch(() => undefined);
  }

  /** Saves a numbered screenshot; returns its path. */
  async screenshot(name: string): Promise<string> {
    this.shot += 1;
    const file = join(this.artifactsDir, `${String(this.shot).padStart(2, '0')}-${name.replace(/[^\w.-]+/g, '-')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Runs `fn` as a named step and screenshots the result. */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const result = await fn();
    await this.screenshot(name);
    return result;
  }

  /** On failure: a screenshot, the browser console and the given server log, next to the step screenshots. */
  async saveFailureArtifacts(serverLog: string, error?: Error): Promise<void> {
    if (error) writeFileSync(join(this.artifactsDir, 'error.txt'), `${error.stack ?? error.message}\n`);
    await this.page.screenshot({ path: join(this.artifactsDir, 'FAILED.png') }).catch(() => undefined);
    writeFileSync(join(this.artifactsDir, 'browser-console.log'), this.consoleLines.join('\n'));
    writeFileSync(join(this.artifactsDir, 'code-server.log'), serverLog);
  }

  // ---- input --------------------------------------------------------------------------------------------------

  private get quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }


  /**
   * Opens the command palette (F1) filtered by `query` and waits for `title` among the results. Commands from
   * an extension register a moment after the workbench renders, and an open palette does not refresh by itself,
   * so the filter is re-typed (re-querying the command registry) until the entry shows up or the deadline passes.
   */
  private async paletteShowing(query: string, title: string): Promise<Locator> {
    // No need to focus anything first: VS Code's keybinding service listens on the window itself.
    await this.page.keyboard.press('F1');
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    const row = this.quickInput.locator('.monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
    });
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      await input.fill('>');
      await input.fill(`>${query}`);
      try {
        await row.first().waitFor({ state: 'visible', timeout: 3000 });
        return row.first();
      } catch (err) {
        if (Date.now() > deadline) throw err;
      }
    }
  }

  /** Runs a command the way a user does: F1, type its title, pick it. */
  async runCommand(title: string): Promise<void> {
    const row = await this.paletteShowing(title, title);
    // Enter runs the highlighted entry; pick ours explicitly when fuzzy matching put a neighbour first.
    if ((await row.getAttribute('aria-selected')) === 'true' || (await row.evaluate((r: DomElement) => r.closest('.focused') !== null))) {
      await this.page.keyboard.press('Enter');
    } else {
      await row.click();
    }
    // Done when the palette closed — or was replaced by the command's own quick pick (no `>` prefix).
    await this.page.waitForFunction(() => {
      const doc = (globalThis as unknown as DomGlobals).document;
      const widget = doc.querySelector('.quick-input-widget');
      const input = doc.querySelector('.quick-input-widget input.input') as unknown as { value: string } | null;
      return !widget || widget.style.display === 'none' || !input || !input.value.startsWith('>');
    });
  }

  /** Picks an entry by its label in an already open quick pick (e.g. after "Debug: Select and Start Debugging"). */
  async pickQuickInput(label: string): Promise<void> {
    const row = this.quickInput.locator('.monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(label)}$`) }),
    });
    await row.first().waitFor({ state: 'visible' });
    await row.first().click();
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /** Types into an open input box / quick pick (e.g. a filter prompt) and accepts with Enter. */
  async typeIntoQuickInput(text: string): Promise<void> {
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(text);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
  }

  /**
   * Accepts an open input's proposed value once it matches `expected` (the save dialog fills in its default
   * path in stages: folder first, then the file name); returns that value.
   */
  async acceptQuickInput(expected: RegExp): Promise<string> {
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await this.page.waitForFunction(
      ([source, flags]) => {
        const el = (globalThis as unknown as DomGlobals).document.querySelector('.quick-input-widget input.input') as unknown as { value: string } | null;
        return el !== null && new RegExp(source, flags).test(el.value);
      },
      [expected.source, expected.flags] as const,
    );
    const value = await input.inputValue();
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
    return value;
  }

  notification(match: RegExp): Locator {
    return this.page.locator('.notifications-toasts .notification-toast', { hasText: match }).first();
  }

  /** Titles of palette commands matching `query` once `expected` is among them; screenshots the open palette. */
  async paletteCommands(query: string, expected: string, screenshot?: string): Promise<string[]> {
    await this.paletteShowing(query, expected);
    const labels = await this.quickInput.locator('.monaco-list-row .label-name').allTextContents();
    if (screenshot) await this.screenshot(screenshot);
    await this.page.keyboard.press('Escape');
    await this.quickInput.waitFor({ state: 'hidden' });
    return labels.map((l) => l.trim());
  }

  /** Opens a workspace file through Quick Open (Ctrl+P) and waits for its editor tab. */
  async openFile(relativePath: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(relativePath);
    const base = relativePath.split('/').pop() ?? relativePath;
    await this.quickInput.locator('.monaco-list-row', { hasText: base }).first().waitFor({ state: 'visible' });
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
    await this.page.locator(`.tabs-container .tab.active[data-resource-name="${base}"]`).waitFor({ state: 'visible' });
    await this.activeEditor().locator('.view-lines').waitFor({ state: 'visible' });
  }

  /** Moves the cursor of the active editor to a 1-based line/column via Quick Open's `:line:column`. */
  async goToLine(line: number, column = 1): Promise<void> {
    await this.page.keyboard.press('Control+P');
    const input = this.quickInput.locator('input.input');
    await input.waitFor({ state: 'visible' });
    await input.fill(`:${line}:${column}`);
    await this.page.keyboard.press('Enter');
    await this.quickInput.waitFor({ state: 'hidden' });
    await this.page
      .locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: new RegExp(`Ln ${line}, Col ${column}\\b`) })
      .first()
      .waitFor({ state: 'visible' });
  }

  /** Squiggles (diagnostic decorations) currently rendered in the active editor. */
  squiggles(): Locator {
    return this.activeEditor().locator('[class*="squiggly-"]');
  }

  /** Opens the Quick Fix menu (Ctrl+.) at the cursor and returns the labels it offers. */
  async openQuickFix(): Promise<string[]> {
    await this.activeEditor().locator('textarea').focus();
    await this.page.keyboard.press('Control+.');
    const widget = this.page.locator('.action-widget');
    await widget.locator('.action').first().waitFor({ state: 'visible' });
    return (await widget.locator('.action .title').allTextContents()).map((t) => t.trim());
  }

  async chooseQuickFix(label: string): Promise<void> {
    // The menu sits under a pointer-blocking overlay while it animates; choose with the keyboard like a user.
    const widget = this.page.locator('.action-widget');
    const focused = widget.locator('.action.focused');
    const count = await widget.locator('.action').count();
    for (let i = 0; i <= count; i++) {
      const current = (await focused.getAttribute('aria-label')) ?? '';
      if (current.startsWith(label)) {
        await this.page.keyboard.press('Enter');
        await widget.waitFor({ state: 'hidden' });
        return;
      }
      await this.page.keyboard.press('ArrowDown');
      await this.page.waitForFunction(
        (prev) =>
          (globalThis as unknown as DomGlobals).document
            .querySelector('.action-widget .action.focused')
            ?.getAttribute('aria-label') !== prev,
        current,
      );
    }
    throw new Error(`quick fix "${label}" not in the menu`);
  }

  activeEditor(): Locator {
    return this.page.locator('.editor-group-container.active .editor-instance .monaco-editor').first();
  }

  /** The active editor's visible text, line by line (Monaco renders only visible lines; fixtures are short). */
  async editorLines(): Promise<string[]> {
    return this.activeEditor()
      .locator('.view-lines')
      .evaluate((el: DomElement) =>
        Array.from(el.querySelectorAll('.view-line'))
          .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
          .map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ')),
      );
  }

  /** Waits until a rendered line of the active editor contains `text`. */
  async waitForEditorLine(text: string): Promise<void> {
    await this.activeEditor().locator('.view-line', { hasText: text }).first().waitFor({ state: 'visible' });
  }

  // ---- Problems panel ----------------------------------------------------------------------------------------

  async showProblems(): Promise<void> {
    await this.runCommand('View: Focus Problems (Errors, Warnings, Infos)');
    await this.page.locator('.markers-panel').waitFor({ state: 'visible' });
  }

  private problemRows(): Locator {
    return this.page.locator('.markers-panel .monaco-list-row');
  }

  /** Rows of the Problems panel (files and markers), with their rendered text and accessible label. */
  async problems(): Promise<ProblemRow[]> {
    return this.problemRows().evaluateAll((rows: DomElement[]) =>
      rows.map((r) => ({ text: r.innerText.replace(/\s+/g, ' ').trim(), ariaLabel: r.getAttribute('aria-label') ?? '' })),
    );
  }

  /** Waits until a Problems row's text matches, returns that row. */
  async waitForProblem(match: RegExp): Promise<ProblemRow> {
    await this.problemRows().filter({ hasText: match }).first().waitFor({ state: 'visible' });
    const rows = await this.problems();
    const row = rows.find((r) => match.test(r.text));
    if (!row) throw new Error(`problem ${match} vanished`);
    return row;
  }

  async waitForNoProblem(match: RegExp): Promise<void> {
    await this.problemRows().filter({ hasText: match }).first().waitFor({ state: 'detached' });
  }

  // ---- views ---------------------------------------------------------------------------------------------------

  /** The pane (view) whose header title is `title`, e.g. "Async Tasks". */
  view(title: string): Locator {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header .title', { hasText: new RegExp(`^${title}$`, 'i') }) });
  }

  /** Expands a collapsed view pane. */
  async expandView(title: string): Promise<Locator> {
    const pane = this.view(title);
    await pane.waitFor({ state: 'visible' });
    const header = pane.locator('.pane-header');
    if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
    await pane.locator('.pane-body').waitFor({ state: 'visible' });
    return pane;
  }

  /** Collapses a view pane (if expanded) to make room for others. */
  async collapseView(title: string): Promise<void> {
    const header = this.view(title).locator('.pane-header');
    await header.waitFor({ state: 'visible' });
    if ((await header.getAttribute('aria-expanded')) === 'true') await header.click();
    await this.view(title).locator('.pane-header[aria-expanded="false"]').waitFor({ state: 'visible' });
  }

  /** Drags the side bar's edge to make it `by` pixels wider (long task descriptions stay readable). */
  async widenSideBar(by: number): Promise<void> {
    const box = await this.page.locator('#workbench\\.parts\\.sidebar').boundingBox();
    if (!box) throw new Error('side bar is not visible');
    const x = box.x + box.width;
    const y = box.y + box.height / 2;
    await this.page.mouse.move(x - 1, y);
    await this.page.mouse.down();
    await this.page.mouse.move(x + by, y, { steps: 5 });
    await this.page.mouse.up();
    await this.page.mouse.move(x + by + 300, y); // off the sash, so its hover highlight is not in screenshots
    await this.page.waitForFunction(
      (want) => {
        const el = (globalThis as unknown as DomGlobals).document.querySelector('#workbench\\.parts\\.sidebar') as unknown as { offsetWidth: number } | null;
        return el !== null && el.offsetWidth >= want;
      },
      box.width + by - 20,
    );
  }

  /** Rendered rows of a tree view: label + description text, depth (aria-level) and aria-label. */
  async treeRows(title: string): Promise<{ text: string; level: number; ariaLabel: string }[]> {
    return this.view(title)
      .locator('.pane-body .monaco-list-row')
      .evaluateAll((rows: DomElement[]) =>
        rows.map((r) => ({
          text: r.innerText.replace(/\s+/g, ' ').trim(),
          level: Number(r.getAttribute('aria-level') ?? '0'),
          ariaLabel: r.getAttribute('aria-label') ?? '',
        })),
      );
  }

  /** Clicks a view's title-bar action by its tooltip/aria-label (e.g. "Step Tick"). */
  async clickViewAction(viewTitle: string, action: string): Promise<void> {
    const pane = this.view(viewTitle);
    await pane.locator('.pane-header').hover();
    await this.viewAction(viewTitle, action).click();
  }

  /** A view's title-bar action; `waitFor({ state: 'attached' })` on it waits for a context change to reach the toolbar. */
  viewAction(viewTitle: string, action: string): Locator {
    return this.view(viewTitle).locator(`.pane-header .actions .action-label[aria-label^="${action}"]`).first();
  }

  statusBarItem(match: RegExp): Locator {
    return this.page.locator('#workbench\\.parts\\.statusbar .statusbar-item', { hasText: match }).first();
  }

  debugToolbar(): Locator {
    return this.page.locator('.debug-toolbar');
  }
}
