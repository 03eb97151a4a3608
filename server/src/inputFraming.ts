// Owns a view of the raw LSP byte stream: whether the bytes read so far end inside a message.
// The scheduler uses it to hold analysis while a large didChange is still arriving over the pipe,
// since the text it would analyse is about to be replaced.

/** Follows `Content-Length` framing without keeping any bodies (counts bytes only). */
export class MessageFraming {
  private header = '';
  private bodyLeft = 0;

  /** Feeds a chunk; true when it ends inside a message (header or body). */
  push(chunk: Uint8Array): boolean {
    let at = 0;
    while (at < chunk.length) {
      if (this.bodyLeft > 0) {
        const take = Math.min(this.bodyLeft, chunk.length - at);
        this.bodyLeft -= take;
        at += take;
        continue;
      }
      const end = this.readHeader(chunk, at);
      if (end === -1) break;
      at = end;
    }
    return this.bodyLeft > 0 || this.header.length > 0;
  }

  /** Consumes header bytes from `at`; returns where the body starts, or -1 when the chunk ended first. */
  private readHeader(chunk: Uint8Array, at: number): number {
    for (let i = at; i < chunk.length; i++) {
      this.header += String.fromCharCode(chunk[i]);
      if (!this.header.endsWith('\r\n\r\n')) {
        // A header line is short; anything longer is not LSP framing, so stop tracking it.
        if (this.header.length > 4096) this.header = '';
        continue;
      }
      const m = /content-length:\s*(\d+)/i.exec(this.header);
      this.header = '';
      this.bodyLeft = m ? Number(m[1]) : 0;
      return i + 1;
    }
    return -1;
  }
}
