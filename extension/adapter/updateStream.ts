// The `loopscope/update` event stream: model changes go to the client at most every 50 ms, and at
// once before a stop (so the Async Tasks view shows the state the stop describes).

import { Event } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { UPDATE_EVENT } from '../protocol/customDap';
import type { TaskModel } from '../model/taskModel';

const UPDATE_INTERVAL_MS = 50;

export class UpdateStream {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  model: TaskModel | null = null;

  constructor(private readonly send: (e: DebugProtocol.Event) => void) {}

  schedule(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.last + UPDATE_INTERVAL_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, wait);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const body = this.model?.takeChanges();
    if (!body) return;
    this.last = Date.now();
    this.send(new Event(UPDATE_EVENT, body));
  }
}
