// Socket plumbing to a Loopscope runtime: a loopback listener that accepts the launched runtime
// (token-checked `hello` → `welcome`), the attach handshake (`attach` → `hello` → `welcome`), and a
// connection that decodes event batches and correlates requests with responses by id, with timeouts.

import * as net from 'node:net';
import { timingSafeEqual, randomBytes } from 'node:crypto';
import {
  LineSplitter, MAX_LINE_BYTES, PREAUTH_MAX_BYTES, PREAUTH_MAX_CONNECTIONS, PROTOCOL_VERSION, WireError,
  decodeMessage, encodeMessage, validateResponseBody,
  type EventsMessage, type HelloMessage, type Message, type RequestArgs, type RequestCommand,
  type ResponseBodies, type WelcomeOptions,
} from '../protocol/wire';
import { VERSION } from '../protocol/version';
import { Emitter } from '../model/emitter';

export const CLIENT_NAME = `loopscope-adapter ${VERSION}`;
const HANDSHAKE_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

export const newToken = (): string => randomBytes(32).toString('hex');

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export const isLoopback = (host: string): boolean =>
  host === '127.0.0.1' || host === '::1' || host === 'localhost' || host.startsWith('127.') || host === '::ffff:127.0.0.1';

export class RequestError extends Error {
  constructor(readonly command: string, message: string) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface CloseInfo {
  /** Why the connection ended: `null` for an orderly close by the peer. */
  error: string | null;
}

/** An established, handshaken connection to one runtime. */
export class RuntimeConnection {
  readonly onEvents = new Emitter<EventsMessage>();
  readonly onClose = new Emitter<CloseInfo>();
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (b: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; command: string }>();
  private closed = false;
  private closeError: string | null = null;
  /** Messages that arrived in the same chunk as the handshake; replayed once a listener is attached. */
  private backlog: Message[] = [];

  constructor(readonly socket: net.Socket, readonly hello: HelloMessage, private readonly splitter: LineSplitter, leftover: Message[]) {
    this.backlog = leftover;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => { this.closeError ??= `connection error: ${err.message}`; });
    socket.on('close', () => this.finish());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Delivers messages received during the handshake and starts reading; call after subscribing to onEvents. */
  start(): void {
    const backlog = this.backlog;
    this.backlog = [];
    for (const m of backlog) this.dispatch(m);
    this.socket.resume();
  }

  request<C extends RequestCommand>(command: C, args?: RequestArgs[C], timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS): Promise<ResponseBodies[C]> {
    if (this.closed) return Promise.reject(new RequestError(command, 'the Python process is no longer connected'));
    const id = this.nextId++;
    return new Promise<ResponseBodies[C]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError(command, `the runtime did not answer '${command}' within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (b: unknown) => void, reject, timer, command });
      this.send({ type: 'request', id, command, ...(args !== undefined ? { args } : {}) });
    });
  }

  send(m: Message): void {
    if (!this.closed) this.socket.write(encodeMessage(m));
  }

  close(): void {
    if (!this.closed) this.socket.end();
    this.socket.destroySoon?.();
  }

  private onData(chunk: Buffer): void {
    let lines: string[];
    try {
      lines = this.splitter.push(chunk);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    for (const line of lines) {
      let m: Message;
      try {
        m = decodeMessage(line);
      } catch (err) {
        this.protocolError(err as Error);
        return;
      }
      this.dispatch(m);
    }
  }

  private dispatch(m: Message): void {
    if (m.type === 'events') {
      this.onEvents.fire(m);
    } else if (m.type === 'response') {
      const p = this.pending.get(m.id);
      if (!p) return; // answer to a request that already timed out
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) {
        try {
          p.resolve(validateResponseBody(p.command as RequestCommand, m.body));
        } catch (err) {
          p.reject(new RequestError(p.command, (err as Error).message));
        }
      }
      else p.reject(new RequestError(p.command, m.error));
    }
    // Other message kinds are not valid after the handshake; ignore rather than kill the session.
  }

  private protocolError(err: Error): void {
    this.closeError = `protocol error from the runtime: ${err.message}`;
    this.socket.destroy();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    for (const [, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError(p.command, 'the Python process disconnected'));
    }
    this.pending.clear();
    this.onClose.fire({ error: this.closeError });
  }
}

/** Reads messages from a fresh socket until one arrives; used only during the handshake. */
function readHandshake(socket: net.Socket, splitter: LineSplitter, timeoutMs: number): Promise<{ first: Message; rest: Message[] }> {
  return new Promise((resolve, reject) => {
    const queue: Message[] = [];
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    const onData = (chunk: Buffer): void => {
      try {
        for (const line of splitter.push(chunk)) queue.push(decodeMessage(line));
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (queue.length > 0) {
        cleanup();
        socket.pause();
        resolve({ first: queue[0], rest: queue.slice(1) });
      }
    };
    const onClose = (): void => { cleanup(); reject(new WireError('the peer closed the connection during the handshake')); };
    const onError = (err: Error): void => { cleanup(); reject(err); };
    const timer = setTimeout(() => { cleanup(); reject(new WireError(`no handshake within ${timeoutMs} ms`)); }, timeoutMs);
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

function refuse(socket: net.Socket, reason: string): void {
  socket.end(encodeMessage({ type: 'refused', reason }));
}

function protocolMismatch(peer: number): string | null {
  return peer === PROTOCOL_VERSION ? null : `protocol ${peer} not supported; this debugger speaks ${PROTOCOL_VERSION}`;
}

/**
 * Listens on 127.0.0.1:0 for the launched runtime. Connections with a wrong token or protocol are
 * refused and the listener keeps waiting, so a stray local client cannot hijack the session. Before
 * the token check a peer may buffer PREAUTH_MAX_BYTES, and PREAUTH_MAX_CONNECTIONS peers may wait
 * at once (the oldest is dropped for a newcomer): any local process can reach the port, and what it
 * sends before authenticating must not grow the adapter.
 */
export class RuntimeListener {
  private readonly server = net.createServer();
  private waiter: { resolve: (c: RuntimeConnection) => void; reject: (e: Error) => void } | null = null;
  private result: RuntimeConnection | null = null;
  /** Why the most recent connection attempt was refused (reported if nothing valid ever connects). */
  lastRefusal: string | null = null;
  /** Connections still in their handshake, oldest first. */
  private readonly unauthenticated = new Set<net.Socket>();

  private constructor(private readonly token: string, private readonly options: WelcomeOptions) {
    this.server.on('connection', (s) => { void this.onConnection(s); });
  }

  static async open(token: string, options: WelcomeOptions): Promise<RuntimeListener> {
    const l = new RuntimeListener(token, options);
    await new Promise<void>((resolve, reject) => {
      l.server.once('error', reject);
      l.server.listen(0, '127.0.0.1', () => { l.server.off('error', reject); resolve(); });
    });
    return l;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  /** Resolves with the first runtime that completes the handshake. */
  accept(): Promise<RuntimeConnection> {
    if (this.result) return Promise.resolve(this.result);
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  close(): void {
    this.server.close();
    this.waiter?.reject(new Error('listener closed'));
    this.waiter = null;
  }

  private async onConnection(socket: net.Socket): Promise<void> {
    socket.setNoDelay(true); // the handshake and every response are small writes: no Nagle/delayed-ACK stall
    if (this.result) {
      refuse(socket, 'a runtime is already connected to this session');
      return;
    }
    if (!isLoopback(socket.remoteAddress ?? '')) {
      socket.destroy();
      return;
    }
    const handshake = await readWithinBudget(this, this.unauthenticated, socket);
    if (!handshake) return;
    const { first, rest, splitter } = handshake;
    if (first.type !== 'hello') {
      this.lastRefusal = `expected 'hello', got '${first.type}'`;
      refuse(socket, this.lastRefusal);
      return;
    }
    const mismatch = protocolMismatch(first.protocol);
    if (mismatch) {
      this.lastRefusal = mismatch;
      refuse(socket, mismatch);
      return;
    }
    if (typeof first.token !== 'string' || !sameToken(first.token, this.token)) {
      this.lastRefusal = 'a process connected with a wrong token';
      refuse(socket, 'bad token');
      return;
    }
    socket.write(encodeMessage({ type: 'welcome', protocol: PROTOCOL_VERSION, options: this.options }));
    splitter.raiseLimit(MAX_LINE_BYTES);
    const conn = new RuntimeConnection(socket, first, splitter, rest);
    this.result = conn;
    this.server.close(); // one runtime per session
    this.waiter?.resolve(conn);
    this.waiter = null;
  }
}

/** A connection's first message within the pre-authentication budget, or null (then it is closed). */
async function readWithinBudget(
  listener: { lastRefusal: string | null }, pending: Set<net.Socket>, socket: net.Socket,
): Promise<{ first: Message; rest: Message[]; splitter: LineSplitter } | null> {
  if (pending.size >= PREAUTH_MAX_CONNECTIONS) {
    const oldest = pending.values().next().value as net.Socket;
    pending.delete(oldest);
    oldest.destroy();
    listener.lastRefusal = `more than ${PREAUTH_MAX_CONNECTIONS} connections were waiting to authenticate; the oldest was dropped`;
  }
  pending.add(socket);
  const splitter = new LineSplitter(PREAUTH_MAX_BYTES);
  try {
    const { first, rest } = await readHandshake(socket, splitter, HANDSHAKE_TIMEOUT_MS);
    return socket.destroyed ? null : { first, rest, splitter };
  } catch (err) {
    // A connection dropped for a newcomer already left the set, with its own reason.
    if (pending.has(socket)) listener.lastRefusal = (err as Error).message;
    socket.destroy();
    return null;
  } finally {
    pending.delete(socket);
  }
}

/** Attach mode: connect to a runtime started with `--listen` / `loopscope.listen()`. */
export async function attachToRuntime(host: string, port: number, token: string, options: WelcomeOptions): Promise<RuntimeConnection> {
  if (!isLoopback(host)) {
    throw new Error(`Loopscope only attaches over the loopback interface; "${host}" is not a loopback address. Use 127.0.0.1 (forward the port with ssh -L for remote processes).`);
  }
  const socket = await new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ host, port, noDelay: true });
    s.once('connect', () => { s.off('error', reject); resolve(s); });
    s.once('error', (err: NodeJS.ErrnoException) => {
      reject(new Error(err.code === 'ECONNREFUSED'
        ? `nothing is listening on ${host}:${port}. Start the program with "python -m loopscope --listen ${host}:${port} script.py" (or call loopscope.listen(${port})) and try again.`
        : `could not connect to ${host}:${port}: ${err.message}`));
    });
  });
  socket.write(encodeMessage({ type: 'attach', protocol: PROTOCOL_VERSION, token, client: CLIENT_NAME }));
  // Whatever listens on the port gets no more of our memory than a peer of our own listener would.
  const splitter = new LineSplitter(PREAUTH_MAX_BYTES);
  let first: Message;
  let rest: Message[];
  try {
    ({ first, rest } = await readHandshake(socket, splitter, HANDSHAKE_TIMEOUT_MS));
  } catch (err) {
    socket.destroy();
    throw new Error(`the runtime at ${host}:${port} did not complete the handshake: ${(err as Error).message}`);
  }
  if (first.type === 'refused') {
    socket.destroy();
    throw new Error(`the runtime at ${host}:${port} refused the connection: ${first.reason}${first.reason.includes('token') ? '. Check "token"/"tokenFile" in the attach configuration.' : ''}`);
  }
  if (first.type !== 'hello') {
    socket.destroy();
    throw new Error(`the runtime at ${host}:${port} answered '${first.type}' instead of 'hello'`);
  }
  const mismatch = protocolMismatch(first.protocol);
  if (mismatch) {
    refuse(socket, mismatch);
    throw new Error(`the runtime at ${host}:${port} speaks ${mismatch}`);
  }
  socket.write(encodeMessage({ type: 'welcome', protocol: PROTOCOL_VERSION, options }));
  splitter.raiseLimit(MAX_LINE_BYTES); // the runtime took our token; its batches may be long
  return new RuntimeConnection(socket, first, splitter, rest);
}
