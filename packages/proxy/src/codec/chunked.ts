// Finds where a chunked body ends (RFC 9112 section 7.1) without decoding
// it: the fast path forwards the bytes as they are and only needs to know
// when the message is over, so the connection can carry the next one.
// Strict: hex sizes of at most 15 digits, chunk extensions of tokens and
// quoted strings, CRLF everywhere, trailer fields of token names.

const enum State {
  Size,
  Ext,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerName,
  Trailer,
  TrailerLf,
  FinalLf,
  Done,
}

const CR = 13;
const LF = 10;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Characters allowed in a chunk extension (token chars, "=", ";", quotes, SP/HTAB) and in trailer lines (field chars). */
const EXT_CHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ=;\" \t") EXT_CHAR[c.charCodeAt(0)] = 1;
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;
const LINE_CHAR = new Uint8Array(256);
for (let c = 0x20; c <= 0xff; c++) LINE_CHAR[c] = c === 0x7f ? 0 : 1;
LINE_CHAR[9] = 1;

export type ChunkedResult = { kind: "more"; consumed: number } | { kind: "done"; consumed: number } | { kind: "error"; reason: string };

export class ChunkedScanner {
  private state = State.Size;
  private remaining = 0;
  private digits = 0;
  private lineLength = 0;
  /** Token characters since the last ";" of a chunk extension (an extension needs a name). */
  private extName = 0;
  /** Bytes of the body seen so far (framing included). */
  total = 0;

  constructor(private readonly maxLineBytes = 16_384) {}

  get done(): boolean {
    return this.state === State.Done;
  }

  /** Scans `buf` from `start`; `consumed` counts the bytes that belong to the body (the rest is the next message). */
  // eslint-disable-next-line max-lines-per-function -- a byte-level state machine: one switch over the states reads best in one place.
  scan(buf: Buffer, start = 0): ChunkedResult {
    let i = start;
    const n = buf.length;
    while (i < n) {
      switch (this.state) {
        case State.Data: {
          const take = Math.min(this.remaining, n - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = State.DataCr;
          continue;
        }
        case State.Size: {
          const c = buf[i] ?? 0;
          const v = hexValue(c);
          if (v >= 0) {
            if (++this.digits > 15) return { kind: "error", reason: "chunk size too large" };
            this.remaining = this.remaining * 16 + v;
          } else if (this.digits === 0) return { kind: "error", reason: "invalid chunk size" };
          else if (c === CR) this.state = State.SizeLf;
          else if (c === 0x3b /* ; */) {
            this.state = State.Ext;
            this.lineLength = 0;
            this.extName = 0;
          } else return { kind: "error", reason: "invalid chunk size" };
          break;
        }
        case State.Ext: {
          const c = buf[i] ?? 0;
          if (c === CR || c === 0x3b) {
            if (this.extName === 0) return { kind: "error", reason: "chunk extension without a name" };
            if (c === CR) this.state = State.SizeLf;
            else this.extName = 0;
          } else if (EXT_CHAR[c] !== 1 || ++this.lineLength > this.maxLineBytes) return { kind: "error", reason: "invalid chunk extension" };
          else if (c !== 0x20 && c !== 9) this.extName++;
          break;
        }
        case State.SizeLf:
          if (buf[i] !== LF) return { kind: "error", reason: "bare CR in chunk size line" };
          this.digits = 0;
          if (this.remaining === 0) this.state = State.TrailerStart;
          else this.state = State.Data;
          break;
        case State.DataCr:
          if (buf[i] !== CR) return { kind: "error", reason: "chunk data longer than its size" };
          this.state = State.DataLf;
          break;
        case State.DataLf:
          if (buf[i] !== LF) return { kind: "error", reason: "bare CR after chunk data" };
          this.state = State.Size;
          break;
        case State.TrailerStart: {
          const c = buf[i] ?? 0;
          if (c === CR) this.state = State.FinalLf;
          else if (TCHAR[c] === 1) {
            this.state = State.TrailerName;
            this.lineLength = 1;
          } else return { kind: "error", reason: "invalid trailer" };
          break;
        }
        case State.TrailerName: {
          // A trailer field is `token ":" value`, like a header.
          const c = buf[i] ?? 0;
          if (c === 0x3a) this.state = State.Trailer;
          else if (TCHAR[c] !== 1 || ++this.lineLength > this.maxLineBytes) return { kind: "error", reason: "invalid trailer name" };
          break;
        }
        case State.Trailer: {
          const c = buf[i] ?? 0;
          if (c === CR) this.state = State.TrailerLf;
          else if (LINE_CHAR[c] !== 1 || ++this.lineLength > this.maxLineBytes) return { kind: "error", reason: "invalid trailer" };
          break;
        }
        case State.TrailerLf:
          if (buf[i] !== LF) return { kind: "error", reason: "bare CR in trailer" };
          this.state = State.TrailerStart;
          break;
        case State.FinalLf:
          if (buf[i] !== LF) return { kind: "error", reason: "bare CR at the end of the body" };
          this.state = State.Done;
          this.total += i + 1 - start;
          return { kind: "done", consumed: i + 1 - start };
        case State.Done:
          return { kind: "done", consumed: i - start };
      }
      i++;
    }
    this.total += n - start;
    return { kind: "more", consumed: n - start };
  }
}
