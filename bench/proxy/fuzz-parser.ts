// npm run fuzz:parser -w @weft/proxy   (FUZZ_SECONDS, default 600; FUZZ_SEED)
//
// Fuzzes the fast path's HTTP/1.1 request parser (packages/proxy/src/codec)
// with fast-check and compares every input with llhttp, the parser node:http
// uses (its HTTPParser binding, strict mode as node:http runs it):
//   valid requests from an RFC 9112 grammar (methods, origin-form targets,
//     header lists with repeats, Content-Length and chunked bodies split at
//     random): both parsers must accept them with the same method, target,
//     version, header list and message length — any difference fails;
//   mutated valid requests (bytes replaced, inserted, removed) and random
//     bytes: our parser must never throw; when both accept, they must agree;
//     we may refuse what llhttp accepts (stricter), and every case where we
//     accept what llhttp refuses is counted and printed (looser).
// Exits non-zero on a crash, on a divergence on valid input, or when both
// accept a message differently. A benchmark-style script, not a test: it
// runs for minutes.
import fc from "fast-check";
import { ChunkedScanner } from "../../packages/proxy/src/codec/chunked.ts";
import { METHODS, parseRequestHead } from "../../packages/proxy/src/codec/http1-head.ts";

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(buf: Buffer): number | Error;
  finish(): number | Error | undefined;
  [key: number]: unknown;
}
// node:http's own llhttp binding (what _http_common wraps); allMethods is indexed by llhttp's method ids.
const binding = (process as unknown as { binding(name: string): unknown }).binding("http_parser") as {
  HTTPParser: { new (): LlhttpParser; REQUEST: number; kOnHeaders: number; kOnHeadersComplete: number; kOnBody: number; kOnMessageComplete: number };
  allMethods: string[];
};
const { HTTPParser, allMethods: methods } = binding;

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 600);
const LIMITS = { maxHeaderBytes: 16_384, maxHeaderCount: 100, maxUriLength: 8192 };

interface Parsed {
  method: string;
  url: string;
  version: string;
  headers: [string, string][];
  /** Bytes of the first message (head + body). */
  length: number;
}

/** llhttp's reading of the first message in `buf`, or undefined when it refuses or does not complete one. */
function llhttp(buf: Buffer): Parsed | undefined {
  const p = new HTTPParser();
  p.initialize(HTTPParser.REQUEST, {}, LIMITS.maxHeaderBytes, 0);
  let parsed: Omit<Parsed, "length"> | undefined;
  let rawHeaders: string[] = [];
  let complete = false;
  p[HTTPParser.kOnHeaders] = (headers: string[]) => {
    rawHeaders = rawHeaders.concat(headers);
  };
  p[HTTPParser.kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string) => {
    const all = headers ? rawHeaders.concat(headers) : rawHeaders;
    const list: [string, string][] = [];
    for (let i = 0; i + 1 < all.length; i += 2) list.push([(all[i] ?? "").toLowerCase(), all[i + 1] ?? ""]);
    parsed = { method: methods[method] ?? "?", url, version: `${major}.${minor}`, headers: list };
    return 0;
  };
  p[HTTPParser.kOnBody] = () => undefined;
  p[HTTPParser.kOnMessageComplete] = () => {
    complete = true;
  };
  // Fed one byte at a time, so the byte that completes the first message gives its length.
  let length = 0;
  for (let i = 0; i < buf.length && !complete; i++) {
    const r = p.execute(buf.subarray(i, i + 1));
    if (r instanceof Error) return undefined;
    length = i + 1;
  }
  if (!complete || !parsed) return undefined;
  return { ...parsed, length };
}

/** Our reading: the head parser, then the body framing it announced. Throws only if the parser does (a crash). */
function ours(buf: Buffer): Parsed | undefined {
  const r = parseRequestHead(buf, 0, LIMITS);
  if (r.kind !== "head") return undefined;
  const head = r.head;
  let end = head.length;
  if (head.chunked) {
    const s = new ChunkedScanner();
    const scanned = s.scan(buf, end);
    if (scanned.kind !== "done") return undefined;
    end += scanned.consumed;
  } else if (head.contentLength !== undefined) {
    if (buf.length - end < head.contentLength) return undefined;
    end += head.contentLength;
  }
  return { method: head.method, url: head.url, version: head.httpVersion, headers: head.lines.map((l) => [l.name, l.value]), length: end };
}

// ---------------------------------------------------------------- grammar

const tchar = fc.constantFrom(..."!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
const token = fc.array(tchar, { minLength: 1, maxLength: 12 }).map((a) => a.join(""));
const vchar = fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c));
const fieldValue = fc
  .array(fc.oneof({ weight: 8, arbitrary: vchar }, { weight: 1, arbitrary: fc.constant(" ") }), { minLength: 0, maxLength: 24 })
  .map((a) => a.join("").trim());
const pathChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/?=&%:@!$'()*+,;");
const target = fc.array(pathChar, { maxLength: 40 }).map((a) => `/${a.join("")}`);
const host = fc.tuple(fc.stringMatching(/^[a-z][a-z0-9.-]{0,15}$/), fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined })).map(([h, p]) => (p === undefined ? h : `${h}:${p}`));
/** Names the framing and connection rules look at are left to the dedicated cases below. */
const RESERVED = new Set(["host", "content-length", "transfer-encoding", "connection", "upgrade", "expect", "te", "keep-alive", "proxy-connection"]);
const header = fc.tuple(token.filter((n) => !RESERVED.has(n.toLowerCase())), fieldValue);
const bodyBytes = fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b));
const method = fc.constantFrom(...[...METHODS].filter((m) => m !== "CONNECT"));

/** A valid request: bytes both parsers must read the same way. */
const validRequest = fc
  .record({
    method,
    target,
    version: fc.constantFrom("1.1", "1.0"),
    host,
    headers: fc.array(header, { maxLength: 10 }),
    body: fc.oneof(fc.constant(undefined), fc.record({ kind: fc.constant("length" as const), bytes: bodyBytes }), fc.record({ kind: fc.constant("chunked" as const), chunks: fc.array(bodyBytes.filter((b) => b.length > 0), { maxLength: 4 }) })),
    ows: fc.constantFrom("", " ", "  ", "\t"),
  })
  .map(({ method: m, target: t, version, host: h, headers, body, ows }) => {
    const chunked = body?.kind === "chunked" && version === "1.1";
    let head = `${m} ${t} HTTP/${version}\r\nHost:${ows}${h}\r\n`;
    for (const [n, v] of headers) head += `${n}:${ows}${v}\r\n`;
    let payload = Buffer.alloc(0);
    if (body?.kind === "length") {
      head += `Content-Length: ${body.bytes.length}\r\n`;
      payload = body.bytes;
    } else if (chunked && body?.kind === "chunked") {
      head += "Transfer-Encoding: chunked\r\n";
      payload = Buffer.concat([...body.chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from("\r\n")]), Buffer.from("0\r\n\r\n")]);
    }
    return Buffer.concat([Buffer.from(`${head}\r\n`, "latin1"), payload]);
  });

const INTERESTING = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x2c, 0x61, 0x7f, 0x80, 0xff, 0x3b, 0x30];
const mutation = fc.record({
  kind: fc.constantFrom("replace", "insert", "delete"),
  at: fc.nat(),
  byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
});
const mutatedRequest = fc.tuple(validRequest, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([buf, ms]) => {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = m.at % Math.max(1, b.length);
    if (m.kind === "replace" && b.length > 0) b[at] = m.byte;
    else if (m.kind === "insert") b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
  }
  return b;
});
const randomBytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

// ---------------------------------------------------------------- checks

const counts = { valid: 0, mutated: 0, random: 0, bothAccept: 0, bothRefuse: 0, stricter: 0, looser: 0 };
const looserExamples: string[] = [];

function same(a: Parsed, b: Parsed): boolean {
  return a.method === b.method && a.url === b.url && a.version === b.version && a.length === b.length && JSON.stringify(a.headers) === JSON.stringify(b.headers);
}

function compare(buf: Buffer): boolean {
  const mine = ours(buf);
  const theirs = llhttp(buf);
  if (mine && theirs) {
    counts.bothAccept++;
    if (!same(mine, theirs)) throw new Error(`both accept but read it differently: ours ${JSON.stringify(mine)} llhttp ${JSON.stringify(theirs)}`);
  } else if (!mine && !theirs) counts.bothRefuse++;
  else if (!mine) counts.stricter++;
  else {
    counts.looser++;
    if (looserExamples.length < 5) looserExamples.push(JSON.stringify(buf.toString("latin1")));
  }
  return true;
}

const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const started = Date.now();
let failure: string | undefined;
let round = 0;
while (Date.now() - started < SECONDS * 1000 && !failure) {
  try {
    fc.assert(
      fc.property(validRequest, (buf) => {
        counts.valid++;
        const mine = ours(buf);
        const theirs = llhttp(buf);
        if (!theirs) return true; // llhttp refused: not a case both must agree on (counted in the random phases)
        if (!mine) throw new Error(`valid request refused by us, accepted by llhttp: ${JSON.stringify(buf.toString("latin1"))}`);
        if (!same(mine, theirs)) throw new Error(`divergence on valid input: ours ${JSON.stringify(mine)} llhttp ${JSON.stringify(theirs)}`);
        return true;
      }),
      { numRuns: 500, seed: seed + round },
    );
    fc.assert(
      fc.property(mutatedRequest, (buf) => {
        counts.mutated++;
        return compare(buf);
      }),
      { numRuns: 500, seed: seed + round },
    );
    fc.assert(
      fc.property(randomBytes, (buf) => {
        counts.random++;
        return compare(buf);
      }),
      { numRuns: 500, seed: seed + round },
    );
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
  }
  round++;
}

const elapsed = (Date.now() - started) / 1000;
const total = counts.valid + counts.mutated + counts.random;
process.stdout.write(
  [
    `Parser fuzz, seed ${seed}, ${elapsed.toFixed(0)} s, ${total} inputs (${(total / elapsed).toFixed(0)}/s): ${counts.valid} valid, ${counts.mutated} mutated, ${counts.random} random bytes.`,
    `Mutated and random inputs: both accept and agree ${counts.bothAccept}, both refuse ${counts.bothRefuse}, we refuse what llhttp accepts ${counts.stricter}, we accept what llhttp refuses ${counts.looser}.`,
    ...(looserExamples.length > 0 ? ["Accepted by us, refused by llhttp (first ones):", ...looserExamples.map((e) => `  ${e}`)] : []),
    failure ? `FAILED: ${failure}` : "No crash, and no divergence from llhttp on valid input.",
  ].join("\n") + "\n",
);
process.exitCode = failure ? 1 : 0;
