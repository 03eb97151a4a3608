// Opens a `loopscope run --report` or `--trace` JSON file from disk in the Timeline (a read-only
// custom editor, offered through "Reopen Editor With…" and "Loopscope: Open in Timeline"), so CI
// artifacts can be read in the editor. Bad files get one message naming the file and the problem.

import * as vscode from 'vscode';
import type { HostToWebview } from '../views/timelineData';
import { loadTimelineFile, type TimelineModel } from '../views/timelineModel';
import { sessionHeader } from '../views/sessionSummary';
import { applyFilterText, attachTimelineWebview, revealTaskEverywhere } from './timelinePanel';
import type { TaskTreeProvider } from './taskTreeProvider';

export const TIMELINE_EDITOR_TYPE = 'loopscope.timelineFile';

class TimelineFileDocument implements vscode.CustomDocument {
  constructor(readonly uri: vscode.Uri, readonly model: TimelineModel) {}
  dispose(): void { /* nothing held open */ }
}

export class TimelineFileEditor implements vscode.CustomReadonlyEditorProvider<TimelineFileDocument> {
  constructor(private readonly extensionUri: vscode.Uri, private readonly tree: TaskTreeProvider) {}

  async openCustomDocument(uri: vscode.Uri): Promise<TimelineFileDocument> {
    const text = Buffer.from(await vscode.workspace.fs.readFile(uri)).toString('utf8');
    try {
      return new TimelineFileDocument(uri, loadTimelineFile(text, vscode.workspace.asRelativePath(uri)));
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      void vscode.window.showErrorMessage(`Loopscope: cannot open ${uri.fsPath} in the Timeline: ${message}`);
      throw e;
    }
  }

  resolveCustomEditor(doc: TimelineFileDocument, panel: vscode.WebviewPanel): void {
    const name = doc.uri.path.split('/').pop() ?? 'file';
    const push = (): void => {
      const facts = doc.model.reportFacts;
      const header = facts
        ? sessionHeader({ ended: true, paused: false, tick: null, ...facts })
        : `${name} · ${doc.model.taskCount} tasks · ${doc.model.stepCount} steps`;
      const snapshot = doc.model.snapshot({
        title: name, status: 'file', header, filter: this.tree.model.currentFilter, blockingMs: 100,
      });
      void panel.webview.postMessage({ type: 'snapshot', snapshot } satisfies HostToWebview);
    };
    const subs = [
      attachTimelineWebview(panel.webview, this.extensionUri, name, (m) => {
        if (m.type === 'ready') push();
        else if (m.type === 'filter') applyFilterText(this.tree, m.text);
        else if (m.type === 'select') void revealTaskEverywhere(this.tree, m.selection.task, undefined, doc.model);
      }),
      this.tree.onDidChangeFilter(push),
    ];
    panel.onDidDispose(() => { for (const d of subs) d.dispose(); });
  }
}

/** "Loopscope: Open in Timeline": the clicked file, else the active JSON editor, else a file picker. */
export async function openInTimeline(arg?: unknown): Promise<void> {
  let uri = arg instanceof vscode.Uri ? arg : undefined;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (!uri && active?.path.endsWith('.json')) uri = active;
  if (!uri) {
    const picked = await vscode.window.showOpenDialog({
      title: 'Open a Loopscope report or trace in the Timeline', canSelectMany: false,
      filters: { 'Loopscope report or trace': ['json'] },
    });
    uri = picked?.[0];
  }
  if (uri) await vscode.commands.executeCommand('vscode.openWith', uri, TIMELINE_EDITOR_TYPE);
}
