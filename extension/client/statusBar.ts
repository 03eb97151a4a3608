// The status bar item while a Loopscope session runs: `Loopscope: tick 1,234 · 12 tasks · 3 ready`,
// with a pause icon while the loop is held. Updated at most 10 times a second; click focuses
// the Async Tasks view.

import * as vscode from 'vscode';
import { statusText, statusTooltip } from '../views/format';
import { Throttle } from '../views/throttle';
import type { LoopscopeSessions } from './sessions';

export class LoopscopeStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('loopscope.status', vscode.StatusBarAlignment.Left, 50);
  private readonly throttle = new Throttle(100, () => this.render());
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly sessions: LoopscopeSessions) {
    this.item.name = 'Loopscope';
    this.item.command = 'loopscope.showTasks';
    this.disposables.push(
      this.item,
      sessions.onDidChangeCurrent(() => this.render()),
      sessions.onDidEnd(() => this.render()),
      sessions.onDidUpdate(({ session, change }) => {
        if (session !== sessions.current || !change.statusChanged) return;
        this.throttle.trigger();
        if (session.mirror.status?.paused) this.throttle.flush();
      }),
    );
    this.render();
  }

  private render(): void {
    const session = this.sessions.current;
    // An ended session's final picture lives in the Async Tasks view, not in the status bar.
    if (!session || session.ended) { this.item.hide(); return; }
    const status = session.mirror.status;
    const noTickControl = [...session.mirror.loops.values()].some((l) => !l.tickControl && l.cls !== '');
    this.item.text = statusText(status, noTickControl);
    this.item.tooltip = statusTooltip(status, noTickControl);
    this.item.show();
  }

  dispose(): void {
    this.throttle.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
