// Reads the server name (SNI) from the first bytes of a TLS connection
// without terminating it: the east-west gateway routes on it and then pipes
// the untouched bytes to the destination, whose proxy does the handshake.
// node:tls cannot peek a ClientHello without becoming the TLS server, so this
// walks the record format itself (RFC 8446 §4.1.2, RFC 6066 §3). Every length
// is checked against what is there: malformed input is a verdict, never a throw.

/** What the bytes received so far say. */
export type ClientHelloVerdict =
  | { kind: "incomplete" }
  | { kind: "complete"; serverName: string | undefined }
  | { kind: "malformed"; reason: string };

const RECORD_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
const EXTENSION_SERVER_NAME = 0x0000;
const NAME_TYPE_HOST_NAME = 0x00;
const RECORD_HEADER = 5;
/** A TLSPlaintext fragment is at most 2^14 bytes. */
const MAX_RECORD = 16_384;
/** A ClientHello larger than this is not one we route (post-quantum key shares are ~1.2 KB; 64 KiB is generous). */
export const MAX_CLIENT_HELLO = 65_536;

const malformed = (reason: string): ClientHelloVerdict => ({ kind: "malformed", reason });

/**
 * Judges the first bytes of a connection. `incomplete` asks for more bytes
 * (the caller bounds how many and for how long); `complete` carries the
 * host name, undefined when the ClientHello has none.
 */
export function readClientHello(data: Buffer): ClientHelloVerdict {
  // The handshake message may span several records: gather their fragments.
  const fragments: Buffer[] = [];
  let gathered = 0;
  let offset = 0;
  let needed: number | undefined;
  while (needed === undefined || gathered < needed) {
    if (data.length < offset + RECORD_HEADER) return data.length > MAX_CLIENT_HELLO ? malformed("ClientHello too large") : { kind: "incomplete" };
    if (data[offset] !== RECORD_HANDSHAKE) return malformed(offset === 0 ? "not a TLS handshake" : "ClientHello interrupted by another record type");
    // Record versions are 3.x (SSL 3.0 up to TLS 1.2 on the wire, even for TLS 1.3).
    if (data[offset + 1] !== 0x03) return malformed("unknown record version");
    const length = data.readUInt16BE(offset + 3);
    if (length === 0 || length > MAX_RECORD) return malformed("bad record length");
    if (data.length < offset + RECORD_HEADER + length) return offset + RECORD_HEADER + length > MAX_CLIENT_HELLO ? malformed("ClientHello too large") : { kind: "incomplete" };
    fragments.push(data.subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + length));
    gathered += length;
    offset += RECORD_HEADER + length;
    if (needed === undefined && gathered >= 4) {
      const head = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
      if (head[0] !== HANDSHAKE_CLIENT_HELLO) return malformed("first handshake message is not a ClientHello");
      needed = 4 + head.readUIntBE(1, 3);
      if (needed > MAX_CLIENT_HELLO) return malformed("ClientHello too large");
    }
  }
  const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
  return parseClientHelloBody(message.subarray(4, needed));
}

/** A cursor that refuses to read past the end. */
class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
    private readonly end = buf.length,
  ) {}
  get remaining(): number {
    return this.end - this.pos;
  }
  u8(): number | undefined {
    if (this.remaining < 1) return undefined;
    return this.buf[this.pos++];
  }
  u16(): number | undefined {
    if (this.remaining < 2) return undefined;
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  /** A sub-reader over the next `n` bytes (and skips them here). */
  take(n: number | undefined): Reader | undefined {
    if (n === undefined || n > this.remaining) return undefined;
    const r = new Reader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return r;
  }
  bytes(n: number): Buffer | undefined {
    if (n > this.remaining) return undefined;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

function parseClientHelloBody(body: Buffer): ClientHelloVerdict {
  const r = new Reader(body);
  // legacy_version (2) + random (32)
  if (!r.take(34)) return malformed("truncated ClientHello");
  const sessionIdLength = r.u8();
  if (sessionIdLength === undefined || sessionIdLength > 32 || !r.take(sessionIdLength)) return malformed("bad session id");
  const suitesLength = r.u16();
  if (suitesLength === undefined || suitesLength < 2 || suitesLength % 2 !== 0 || !r.take(suitesLength)) return malformed("bad cipher suites");
  const compressionLength = r.u8();
  if (compressionLength === undefined || compressionLength < 1 || !r.take(compressionLength)) return malformed("bad compression methods");
  // A ClientHello without extensions is legal (and has no server name).
  if (r.remaining === 0) return { kind: "complete", serverName: undefined };
  const extensions = r.take(r.u16());
  if (!extensions || r.remaining !== 0) return malformed("bad extensions length");
  let serverName: string | undefined;
  const seen = new Set<number>();
  while (extensions.remaining > 0) {
    const type = extensions.u16();
    const data = extensions.take(extensions.u16());
    if (type === undefined || !data) return malformed("truncated extension");
    // RFC 8446 §4.2: at most one extension of each type.
    if (seen.has(type)) return malformed("duplicate extension");
    seen.add(type);
    if (type !== EXTENSION_SERVER_NAME) continue;
    const list = data.take(data.u16());
    if (!list || data.remaining !== 0 || list.remaining === 0) return malformed("bad server_name extension");
    while (list.remaining > 0) {
      const nameType = list.u8();
      const length = list.u16();
      if (nameType === undefined || length === undefined || length === 0) return malformed("bad server name entry");
      const name = list.bytes(length);
      if (!name) return malformed("truncated server name");
      if (nameType !== NAME_TYPE_HOST_NAME) continue;
      // RFC 6066: one host_name at most, ASCII, no trailing dot.
      if (serverName !== undefined) return malformed("several host names");
      if (length > 255 || !isHostName(name)) return malformed("server name is not an ASCII host name");
      serverName = name.toString("latin1").toLowerCase();
    }
  }
  return { kind: "complete", serverName };
}

function isHostName(name: Buffer): boolean {
  for (const c of name) {
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e || c === 0x5f;
    if (!ok) return false;
  }
  return name[name.length - 1] !== 0x2e;
}
