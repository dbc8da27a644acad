// A strict HTTP/1.1 message-head parser (RFC 9110 / RFC 9112) for the fast
// path: the request head a client sends and the response head an upstream
// sends. It works on the bytes as they arrive (`incomplete` until the blank
// line), checks the grammar character by character with lookup tables, and
// refuses what a proxy must not pass on: obs-fold, whitespace before a
// colon, bare CR or LF, control characters, two Host or Content-Length
// fields, Content-Length with Transfer-Encoding, chunked not last, a missing
// HTTP version (HTTP/0.9), oversized targets (414) and heads (431). It
// records where each header line sits in the buffer, so a head can be
// rewritten by copying the lines it keeps. Imports nothing.

/** Why a head was refused: the status to answer and a short reason. */
export interface HeadError {
  kind: "error";
  status: 400 | 414 | 431 | 501 | 505 | 502;
  reason: string;
}

/** One header line: its name (lower case), value (trimmed, latin1) and where the whole line sits in the buffer. */
export interface HeaderLine {
  name: string;
  value: string;
  /** Offset of the line's first byte in the head buffer. */
  start: number;
  /** Offset just past the line's CRLF. */
  end: number;
}

/** What every head says about framing and the connection. */
interface HeadCommon {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  minor: 0 | 1;
  lines: HeaderLine[];
  /** Header names in lower case; repeated fields joined with ", " (as node:http does). */
  headers: Record<string, string>;
  /** Content-Length, when present. */
  contentLength: number | undefined;
  /** The final transfer coding is chunked. */
  chunked: boolean;
  /** Transfer-Encoding present (chunked or not). */
  transferEncoding: boolean;
  /** The sender asks to close after this message (Connection: close, or HTTP/1.0 without keep-alive). */
  close: boolean;
  /** Bytes from the start of the buffer to the end of the blank line. */
  length: number;
}

export interface RequestHead extends HeadCommon {
  method: string;
  /** The request target as sent. */
  url: string;
  /** "1.1" or "1.0". */
  httpVersion: string;
  /** An Upgrade header is present (WebSocket and the like: not for the fast path). */
  upgrade: boolean;
  /** Expect: 100-continue. */
  expectContinue: boolean;
}

export interface ResponseHead extends HeadCommon {
  status: number;
  reason: string;
}

export type HeadResult<H> = { kind: "incomplete" } | HeadError | { kind: "head"; head: H };

export interface HeadLimits {
  /** Request line plus headers. */
  maxHeaderBytes: number;
  maxHeaderCount: number;
  /** Request target length. */
  maxUriLength: number;
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** tchar (RFC 9110 section 5.6.2). */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TCHAR[c.charCodeAt(0)] = 1;

/** field-vchar / SP / HTAB (obs-text allowed, controls and DEL not). */
const FIELD_CHAR = new Uint8Array(256);
for (let c = 0x20; c < 0x7f; c++) FIELD_CHAR[c] = 1;
for (let c = 0x80; c <= 0xff; c++) FIELD_CHAR[c] = 1;
FIELD_CHAR[HTAB] = 1;

/** Characters of a request target: visible ASCII only. */
const TARGET_CHAR = new Uint8Array(256);
for (let c = 0x21; c < 0x7f; c++) TARGET_CHAR[c] = 1;

/** uri-host / port characters of a Host value: unreserved, pct-encoded, sub-delims, ":" and IP-literal brackets. */
const HOST_CHAR = new Uint8Array(256);
for (const c of "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%!$&'()*+,;=:[]") HOST_CHAR[c.charCodeAt(0)] = 1;

/** The methods llhttp (node:http) accepts: both paths accept and refuse the same requests. */
export const METHODS: ReadonlySet<string> = new Set(
  "ACL BIND CHECKOUT CONNECT COPY DELETE GET HEAD LINK LOCK M-SEARCH MERGE MKACTIVITY MKCALENDAR MKCOL MOVE NOTIFY OPTIONS PATCH POST PROPFIND PROPPATCH PURGE PUT QUERY REBIND REPORT SEARCH SOURCE SUBSCRIBE TRACE UNBIND UNLINK UNLOCK UNSUBSCRIBE".split(" "),
);

const INCOMPLETE = { kind: "incomplete" } as const;

const ABSOLUTE_FORM = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

function fail(status: HeadError["status"], reason: string): HeadError {
  return { kind: "error", status, reason };
}

/** Offset of the CRLF CRLF that ends a head starting at `from`, or -1. Bare LF line ends are found too (and refused later). */
function headEnd(buf: Buffer, from: number): number {
  const i = buf.indexOf("\n\r\n", from, "latin1");
  return i === -1 ? -1 : i - 1;
}

/** Whether `s` is a valid Host value: uri-host [ ":" port ], not empty. */
export function validHost(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (HOST_CHAR[s.charCodeAt(i)] !== 1) return false;
  if (s.charCodeAt(0) === 0x5b) {
    const close = s.indexOf("]");
    if (close === -1) return false;
    const rest = s.slice(close + 1);
    return rest === "" || /^:\d*$/.test(rest);
  }
  if (s.includes("[") || s.includes("]")) return false;
  const colon = s.indexOf(":");
  return colon === -1 || (colon > 0 && /^\d*$/.test(s.slice(colon + 1)));
}

/** Whether `value` is 1 to 15 ASCII digits. */
function digitsOnly(value: string): boolean {
  if (value.length === 0 || value.length > 15) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const LISTS_CLOSE = /(^|,)\s*close\s*(,|$)/;
const LISTS_KEEP_ALIVE = /(^|,)\s*keep-alive\s*(,|$)/;

/** Whether a Connection value (lower case) lists `close` (or `keep-alive`); the usual single token without a regular expression. */
function listsToken(conn: string, token: "close" | "keep-alive"): boolean {
  return conn === token || (token === "close" ? LISTS_CLOSE : LISTS_KEEP_ALIVE).test(conn);
}

/**
 * Parses the header lines from `pos` to the blank line at `end` (the CR of
 * the final CRLF CRLF is at `end`). Fills `into`; returns an error or undefined.
 * The lines are decoded once (latin1, one byte per character) and scanned as
 * a string: one native call per head instead of two per field.
 */
function parseFields(buf: Buffer, pos: number, end: number, limits: { maxHeaderCount: number }, into: HeadCommon, isRequest: boolean): HeadError | undefined {
  const bad = isRequest ? 400 : 502;
  const headers = into.headers;
  // s[i] is buf[base + i]; s ends after the last field's CRLF.
  const base = pos;
  const s = buf.toString("latin1", pos, end + 2);
  const last = s.length;
  let i = 0;
  let hosts = 0;
  let connectionTokens: string | undefined;
  let te: string | undefined;
  while (i < last) {
    const lineStart = i;
    const first = s.charCodeAt(i);
    if (first === SP || first === HTAB) return fail(bad, "obsolete line folding");
    // field-name
    let upper = false;
    for (; i < last; i++) {
      const c = s.charCodeAt(i);
      if (TCHAR[c] !== 1) break;
      if (c >= 65 && c <= 90) upper = true;
    }
    if (i === lineStart) return fail(bad, "empty or invalid header name");
    const sep = s.charCodeAt(i);
    if (sep !== COLON) return fail(bad, sep === SP || sep === HTAB ? "whitespace before the colon" : "invalid character in a header name");
    const rawName = s.slice(lineStart, i);
    const name = upper ? rawName.toLowerCase() : rawName;
    i++;
    for (let c = s.charCodeAt(i); c === SP || c === HTAB; c = s.charCodeAt(++i));
    const valueStart = i;
    while (i < last && FIELD_CHAR[s.charCodeAt(i)] === 1) i++;
    if (s.charCodeAt(i) !== CR || s.charCodeAt(i + 1) !== LF) {
      const c = s.charCodeAt(i);
      return fail(bad, c === LF || c === CR ? "bare CR or LF" : "invalid character in a header value");
    }
    let valueEnd = i;
    for (let c = s.charCodeAt(valueEnd - 1); valueEnd > valueStart && (c === SP || c === HTAB); c = s.charCodeAt(--valueEnd - 1));
    const value = s.slice(valueStart, valueEnd);
    i += 2;
    into.lines.push({ name, value, start: base + lineStart, end: base + i });
    if (into.lines.length > limits.maxHeaderCount) return fail(431, "too many headers");
    switch (name) {
      case "host":
        hosts++;
        if (hosts > 1) return fail(bad, "more than one Host header");
        break;
      case "content-length": {
        if (into.contentLength !== undefined) return fail(bad, "more than one Content-Length");
        // Digits only, nothing after them (llhttp refuses trailing whitespace there too).
        if (!digitsOnly(value) || valueEnd !== i - 2) return fail(bad, "invalid Content-Length");
        into.contentLength = Number(value);
        break;
      }
      case "transfer-encoding":
        // Nothing after the last coding (llhttp refuses trailing whitespace there too).
        if (valueEnd !== i - 2) return fail(bad, "invalid Transfer-Encoding");
        te = te === undefined ? value : `${te}, ${value}`;
        break;
      case "connection":
        connectionTokens = connectionTokens === undefined ? value : `${connectionTokens}, ${value}`;
        break;
    }
    const prior = headers[name];
    headers[name] = prior === undefined ? value : `${prior}, ${value}`;
  }
  if (te !== undefined) {
    into.transferEncoding = true;
    if (into.contentLength !== undefined) return fail(bad, "Content-Length with Transfer-Encoding");
    const codings = te.split(",").map((c) => c.trim().toLowerCase());
    if (codings.some((c) => !/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(c))) return fail(bad, "invalid Transfer-Encoding");
    const chunkedAt = codings.indexOf("chunked");
    if (chunkedAt !== -1 && chunkedAt !== codings.length - 1) return fail(bad, "chunked is not the final transfer coding");
    into.chunked = chunkedAt === codings.length - 1;
    // A request body must be delimited: without chunked last there is no way to find its end (RFC 9112 section 6.3).
    if (isRequest && !into.chunked) return fail(bad, "request transfer coding without chunked last");
    if (isRequest && into.minor === 0) return fail(bad, "Transfer-Encoding in an HTTP/1.0 request");
  }
  if (isRequest && into.minor === 1 && hosts === 0) return fail(400, "missing Host header");
  const conn = connectionTokens?.toLowerCase();
  into.close = into.minor === 0 ? !(conn !== undefined && listsToken(conn, "keep-alive")) : conn !== undefined && listsToken(conn, "close");
  return undefined;
}

/**
 * The headers object: no Object.prototype in its chain (a field named
 * `__proto__` or `constructor` is a plain own property), yet in V8's fast
 * mode. `Object.create(null)` objects are hash tables from the start: every
 * field set, every lookup and every for-in over them costs more, and each
 * request does several. Node's querystring uses the same construction.
 */
const HeaderFields = function HeaderFields() {} as unknown as new () => Record<string, string>;
HeaderFields.prototype = Object.create(null) as object;

function newCommon(minor: 0 | 1, length: number): HeadCommon {
  return { minor, lines: [], headers: new HeaderFields(), contentLength: undefined, chunked: false, transferEncoding: false, close: false, length };
}

const OTHER_VERSION = -1;
const NOT_A_VERSION = -2;

/** The HTTP-version at `at`, byte by byte: 1 or 0 for HTTP/1.1 or HTTP/1.0, OTHER_VERSION for another well-formed one (505), NOT_A_VERSION. */
function httpVersionAt(buf: Buffer, at: number): 0 | 1 | typeof OTHER_VERSION | typeof NOT_A_VERSION {
  // "HTTP/" DIGIT "." DIGIT
  if (buf[at] !== 0x48 || buf[at + 1] !== 0x54 || buf[at + 2] !== 0x54 || buf[at + 3] !== 0x50 || buf[at + 4] !== 0x2f || buf[at + 6] !== 0x2e) return NOT_A_VERSION;
  const major = (buf[at + 5] ?? 0) - 48;
  const minor = (buf[at + 7] ?? 0) - 48;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return NOT_A_VERSION;
  if (major === 1 && minor === 1) return 1;
  if (major === 1 && minor === 0) return 0;
  return OTHER_VERSION;
}

/** Leading CRLFs before a request line are ignored (RFC 9112 section 2.2). */
function skipEmptyLines(buf: Buffer, start: number): number {
  let pos = start;
  while (buf[pos] === CR && buf[pos + 1] === LF) pos += 2;
  return pos;
}

/**
 * Parses a request head from `buf` at `start`. `incomplete` until the blank
 * line has arrived (while still within the limits).
 */
 
export function parseRequestHead(buf: Buffer, start: number, limits: HeadLimits): HeadResult<RequestHead> {
  const begin = skipEmptyLines(buf, start);
  let pos = begin;
  // Method
  while (pos < buf.length && TCHAR[buf[pos] ?? 0] === 1) pos++;
  if (pos === buf.length) return pos - begin > 32 ? fail(400, "invalid method") : INCOMPLETE;
  if (buf[pos] !== SP || pos === begin) return fail(400, "invalid request line");
  const method = buf.toString("latin1", begin, pos);
  if (!METHODS.has(method)) return fail(400, "unknown method");
  pos++;
  // Request target
  const targetStart = pos;
  while (pos < buf.length && TARGET_CHAR[buf[pos] ?? 0] === 1) {
    pos++;
    if (pos - targetStart > limits.maxUriLength) return fail(414, "request target too long");
  }
  if (pos === buf.length) return buf.length - begin > limits.maxHeaderBytes ? fail(431, "request head too large") : INCOMPLETE;
  if (pos === targetStart) return fail(400, "empty request target");
  const url = buf.toString("latin1", targetStart, pos);
  // The four forms of RFC 9112 section 3.2: origin ("/..."), absolute ("scheme://..."), authority (CONNECT), asterisk ("*").
  const first = url.charCodeAt(0);
  if (first !== 0x2f && !(url === "*" && method === "OPTIONS") && !(method === "CONNECT" ? validHost(url) : ABSOLUTE_FORM.test(url))) return fail(400, "invalid request target");
  if (buf[pos] !== SP) return fail(400, buf[pos] === CR || buf[pos] === LF ? "missing HTTP version" : "invalid character in the request target");
  pos++;
  // HTTP-version CRLF
  if (buf.length - pos < 10) {
    // Not all there yet: refuse early only when what is there cannot become a version.
    const have = buf.toString("latin1", pos, buf.length);
    return "HTTP/1.1\r\n".startsWith(have) || "HTTP/1.0\r\n".startsWith(have) ? INCOMPLETE : fail(400, "invalid HTTP version");
  }
  const version = httpVersionAt(buf, pos);
  if (buf[pos + 8] !== CR || buf[pos + 9] !== LF) return fail(400, "invalid request line ending");
  if (version === OTHER_VERSION) return fail(505, "HTTP version not supported");
  if (version === NOT_A_VERSION) return fail(400, "invalid HTTP version");
  const minor = version;
  pos += 10;
  const end = headEnd(buf, pos - 2);
  if (end === -1) {
    if (buf.length - begin > limits.maxHeaderBytes) return fail(431, "request head too large");
    // A bare LF anywhere so far is already an error; say so now rather than wait for a blank line that may never come.
    return bareLf(buf, pos) ? fail(400, "bare CR or LF") : INCOMPLETE;
  }
  if (end + 4 - begin > limits.maxHeaderBytes) return fail(431, "request head too large");
  const common = newCommon(minor, end + 4);
  const err = parseFields(buf, pos, end, limits, common, true);
  if (err) return err;
  const host = common.headers.host;
  // An empty Host is allowed only beside an absolute-form target, whose authority wins (RFC 9112 section 3.2).
  if (host !== undefined && !validHost(host) && !(host === "" && url.charCodeAt(0) !== 0x2f)) return fail(400, "invalid Host header");
  // Listed field by field (not spread): one object shape for every request head.
  const head: RequestHead = {
    minor,
    lines: common.lines,
    headers: common.headers,
    contentLength: common.contentLength,
    chunked: common.chunked,
    transferEncoding: common.transferEncoding,
    close: common.close,
    length: common.length,
    method,
    url,
    httpVersion: minor === 1 ? "1.1" : "1.0",
    upgrade: common.headers.upgrade !== undefined,
    expectContinue: common.headers.expect !== undefined,
  };
  return { kind: "head", head };
}

/** A LF not preceded by CR (or a CR not followed by LF) in `buf` from `from`. */
function bareLf(buf: Buffer, from: number): boolean {
  for (let i = buf.indexOf(LF, from); i !== -1; i = buf.indexOf(LF, i + 1)) if (buf[i - 1] !== CR) return true;
  for (let i = buf.indexOf(CR, from); i !== -1 && i + 1 < buf.length; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF) return true;
  return false;
}

/** Parses an upstream's response head from `buf` at `start` (malformed → 502). */
export function parseResponseHead(buf: Buffer, start: number, limits: HeadLimits): HeadResult<ResponseHead> {
  if (buf.length - start < 14) return INCOMPLETE;
  const minor = httpVersionAt(buf, start);
  if (minor !== 0 && minor !== 1) return fail(502, "invalid response version");
  if (buf[start + 8] !== SP) return fail(502, "invalid status line");
  let status = 0;
  for (let i = start + 9; i < start + 12; i++) {
    const d = (buf[i] ?? 0) - 48;
    if (d < 0 || d > 9) return fail(502, "invalid status code");
    status = status * 10 + d;
  }
  if (status < 100) return fail(502, "invalid status code");
  let pos = start + 12;
  let reason = "";
  if (buf[pos] === SP) {
    const reasonStart = ++pos;
    while (pos < buf.length && FIELD_CHAR[buf[pos] ?? 0] === 1) pos++;
    if (pos === buf.length) return buf.length - start > limits.maxHeaderBytes ? fail(502, "response head too large") : INCOMPLETE;
    reason = buf.toString("latin1", reasonStart, pos);
  }
  if (pos + 1 >= buf.length) return INCOMPLETE;
  if (buf[pos] !== CR || buf[pos + 1] !== LF) return fail(502, "invalid status line ending");
  pos += 2;
  const end = headEnd(buf, pos - 2);
  if (end === -1) return buf.length - start > limits.maxHeaderBytes ? fail(502, "response head too large") : INCOMPLETE;
  const common = newCommon(minor, end + 4);
  const err = parseFields(buf, pos, end, { maxHeaderCount: Math.max(limits.maxHeaderCount, 1000) }, common, false);
  if (err) return err;
  const head: ResponseHead = {
    minor,
    lines: common.lines,
    headers: common.headers,
    contentLength: common.contentLength,
    chunked: common.chunked,
    transferEncoding: common.transferEncoding,
    close: common.close,
    length: common.length,
    status,
    reason,
  };
  return { kind: "head", head };
}
