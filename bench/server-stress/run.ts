// Language-server stress bench (writes bench/results/server-stress.json): the real server over LSP
// stdio, a 200 KB file with ~2,800 findings beside a file of the same size with none, in one run.
// For each: a burst of full-text edits and a burst of keystrokes, sent without waiting; reports
// peak RSS (VmHWM), settled RSS and heap after a forced GC, the time from the last edit sent to
// the answer of the next request and to the diagnostics of the last version, how many versions
// were analysed, and the server's CPU time for the burst (wall times depend on machine load).
// Options: BENCH_EDITS (default 1000), LOOPSCOPE_SERVER=path to measure another build.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildServer, LspClient } from '../../test/server/lspClient';
import { commentLine, stressFile } from '../../test/server/stressFiles';

const ROOT = path.resolve(__dirname, '..', '..');
const EDITS = Number(process.env.BENCH_EDITS ?? 1000);
const MB = 1024 * 1024;
const round = (x: number) => Math.round(x * 10) / 10;

function procStatus(pid: number): { rssMb: number; peakRssMb: number } {
  const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
  return { rssMb: round(kb('VmRSS') / 1024), peakRssMb: round(kb('VmHWM') / 1024) };
}

function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime in clock ticks (100/s)
}

type Burst = 'full-text' | 'typing';

async function runBurst(client: LspClient, file: string, text: string, kind: Burst): Promise<Record<string, unknown>> {
  const uri = client.uriOf(file);
  const pid = client.proc.pid!;
  let publishes = 0;
  // A waiter that never matches sees every publish for the file.
  void client.nextDiagnostics(uri, () => {
    publishes++;
    return false;
  });
  const cpu0 = cpuMs(pid);
  let version = 1;
  const line = commentLine(text, 300);
  const col = text.split('\n')[line].length;
  const sent: Promise<void>[] = [];
  // Written back to back, as an editor does: awaiting each write would pace the burst.
  for (let i = 0; i < EDITS; i++) {
    version++;
    const change = kind === 'full-text'
      ? { text: text.replace('import time', `import time  # edit ${i}`) }
      : { range: { start: { line, character: col + i }, end: { line, character: col + i } }, text: 'x' };
    sent.push(client.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] }));
  }
  await Promise.all(sent);
  const sentAt = performance.now();
  const last = client.nextDiagnostics(uri, (p) => p.version === version);
  await client.conn.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, context: { diagnostics: [] } });
  const requestMs = performance.now() - sentAt;
  const diagnostics = (await last).diagnostics.length;
  const lastVersionMs = performance.now() - sentAt;
  const burstCpuMs = cpuMs(pid) - cpu0;
  const peak = procStatus(pid).peakRssMb;
  // Builds before loopscope/memoryUsage existed give RSS only.
  const settled = await client.conn.sendRequest<{ heapUsed: number; rss: number }>('loopscope/memoryUsage', { gc: true }).catch(() => ({ heapUsed: NaN, rss: procStatus(pid).rssMb * MB }));
  return {
    burst: kind,
    edits: EDITS,
    nextRequestMs: Math.round(requestMs),
    lastVersionDiagnosticsMs: Math.round(lastVersionMs),
    diagnostics,
    versionsAnalysed: publishes,
    serverCpuMs: Math.round(burstCpuMs),
    peakRssMb: peak,
    settledRssMb: round(settled.rss / MB),
    settledHeapMb: round(settled.heapUsed / MB),
  };
}

async function measure(withFindings: boolean, serverPath: string): Promise<Record<string, unknown>> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'loopscope-stress-bench-'));
  const text = stressFile(withFindings);
  const client = await LspClient.start({ folder: dir, nodeArgs: ['--expose-gc'] });
  try {
    await client.waitIndexed();
    const opened: Record<string, unknown> = { rssMb: 0 };
    const results: Record<string, unknown>[] = [];
    for (const kind of ['full-text', 'typing'] as const) {
      const file = path.join(dir, `${kind}.py`);
      const ds = await client.open(file, text);
      Object.assign(opened, { findings: ds.length, rssMb: procStatus(client.proc.pid!).rssMb });
      results.push(await runBurst(client, file, text, kind));
      await client.close(file);
    }
    return { file: withFindings ? 'with findings' : 'no findings', bytes: text.length, server: serverPath, afterOpen: opened, bursts: results };
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  const serverPath = await buildServer();
  const rows = [await measure(true, serverPath), await measure(false, serverPath)];
  const result = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, loadavg: os.loadavg().map(round), edits: EDITS, rows };
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, 'bench', 'results', 'server-stress.json'), JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify(result, null, 2));
}

void main();
