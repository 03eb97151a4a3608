// The adapter's launch listener under local abuse (issue 16): before the token check a peer may buffer
// only the schema's pre-authentication budget and only so many peers may wait, the oldest dropped for a
// newcomer; the real runtime, launched with the token behind a flood, still gets in, and once it has
// authenticated its lines may be as long as the protocol allows.

import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { RuntimeListener, newToken, type RuntimeConnection } from '../../extension/core/connection';
import { PREAUTH_MAX_BYTES, PREAUTH_MAX_CONNECTIONS, type EventsMessage } from '../../extension/protocol/wire';
import { ROOT } from '../dap/build';
import { PYTHON } from '../dap/helpers';

/** Connects to the listener; resolves once connected. */
function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** Resolves when the listener has closed `s`, with the number of bytes it managed to write first. */
function closedByPeer(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) resolve();
    s.on('error', () => undefined); // EPIPE/ECONNRESET once the listener hangs up
    s.once('close', () => resolve());
  });
}

/** Launches `python -m loopscope --connect` on `program` with the token; resolves with its exit code. */
function launchRuntime(port: number, token: string, program: string, args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(PYTHON, ['-m', 'loopscope', '--connect', `127.0.0.1:${port}`, program, ...args], {
    env: { ...process.env, PYTHONPATH: path.join(ROOT, 'runtime'), LOOPSCOPE_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

describe('fault: the launch listener before authentication', function () {
  this.timeout(60_000);
  let listener: RuntimeListener;
  const token = newToken();
  beforeEach(async () => { listener = await RuntimeListener.open(token, {}); });
  afterEach(() => listener.close());

  it(`closes a peer that sends more than ${PREAUTH_MAX_BYTES} bytes without authenticating`, async () => {
    const s = await connect(listener.port);
    const closed = closedByPeer(s);
    s.write(Buffer.alloc(PREAUTH_MAX_BYTES + 1, 0x61)); // one unterminated line, just over the budget
    await closed;
    assert.match(listener.lastRefusal ?? '', new RegExp(`exceeds the ${PREAUTH_MAX_BYTES}-byte limit`));
  });

  it(`keeps at most ${PREAUTH_MAX_CONNECTIONS} silent peers, the oldest dropped first, and the real runtime still gets in`, async () => {
    const silent = await Promise.all(Array.from({ length: PREAUTH_MAX_CONNECTIONS + 4 }, () => connect(listener.port)));
    const dropped = silent.slice(0, 4).map(closedByPeer);
    await Promise.all(dropped); // the four oldest, one per newcomer over the limit
    assert.match(listener.lastRefusal ?? '', /waiting to authenticate; the oldest was dropped/);
    assert.ok(silent.slice(4).every((s) => !s.destroyed), 'a newer waiting peer was dropped');

    // Two thousand tasks: their first batch is one line far over the pre-authentication budget.
    const program = path.join(ROOT, 'examples', 'many_tasks.py');
    const accepted = listener.accept();
    const run = launchRuntime(listener.port, token, program, ['2000', '1']);
    const conn: RuntimeConnection = await accepted;
    let longest = 0;
    conn.onEvents.on((m: EventsMessage) => { longest = Math.max(longest, JSON.stringify(m).length); });
    const ended = new Promise<string | null>((resolve) => conn.onClose.on((c) => resolve(c.error)));
    conn.start();
    await conn.request('configurationDone', {}); // as the adapter does: the launch may run the program
    assert.equal(await ended, null, 'the runtime connection ended with an error');
    const { code } = await run;
    assert.equal(code, 0);
    assert.ok(longest > PREAUTH_MAX_BYTES, `no message over ${PREAUTH_MAX_BYTES} bytes arrived (longest ${longest})`);
    for (const s of silent) s.destroy();
  });
});
