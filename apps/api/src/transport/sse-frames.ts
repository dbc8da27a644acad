// Prebuilt SSE data lines for config streams. tRPC's SSE producer turns
// every event into text itself — `JSON.stringify(transformer.serialize(data))`,
// then `data: …\n`, then our TextEncoderStream — once per connected stream.
// For a cluster config (about a megabyte at 1,000 services) that walk, the
// string and its UTF-8 copy were the largest cost of a change's fan-out in
// bench:sync's manager profile, and most of each config (the resources, the
// services seen from elsewhere) is the same object in every cluster's config.
//
// So a config event's line is built once as bytes (`jsonPieces`, from pieces
// cached per shared object) and reaches the socket without passing through
// text: the wire transformer hands tRPC a one-use placeholder string instead of
// the value, and the manager's TextEncoderStream (the only consumer of tRPC's
// SSE text on the manager) swaps the placeholder's line for the bytes. The
// bytes are exactly what tRPC would have sent (`data: {"json":<config>}\n`),
// so the agents' side of the contract does not change.

/** A value to send as bytes: the pieces of its JSON (`JSON.stringify` of it, as UTF-8) and, once built, its whole data line. */
const rawValues = new WeakMap<object, { json: () => Uint8Array[]; line?: Uint8Array[] }>();
/** Placeholders handed to tRPC and not yet swapped back, with when they were issued. */
const pending = new Map<string, { chunks: Uint8Array[]; at: number }>();
/**
 * Pieces at least this large are written as chunks of their own instead of
 * being copied into the line: the resources' JSON is one buffer shared by
 * every cluster's line. (Copying a fresh megabyte costs milliseconds here,
 * mostly page faults: in the manager's profile the copies took 17 % of the fan-out.)
 */
const SHARED_PIECE_BYTES = 32 * 1024;
/** Placeholders left by a stream closed between serialization and encoding are dropped after this. */
const STALE_MS = 60_000;
const PREFIX = "weft-raw-frame:";
/** How the placeholder's line reaches the encoder: tRPC writes `data: ${JSON.stringify(placeholder)}\n`. */
const LINE_PREFIX = `data: "${PREFIX}`;
let installed = false;
let issued = 0;

const encoder = new TextEncoder();
const COMMA = encoder.encode(",");
const LINE_START = encoder.encode('data: {"json":');
const LINE_END = encoder.encode("}\n");
const NULL = encoder.encode("null");

/**
 * Marks `value` to be sent on an SSE stream as `json()` (its exact JSON
 * text as bytes, in pieces: see {@link jsonPieces}), when the manager's
 * encoder can swap it in; anywhere else the value is serialized as usual. Returns `value`.
 */
export function sendAsJsonBytes<T extends object>(value: T, json: () => Uint8Array[]): T {
  rawValues.set(value, { json });
  return value;
}

/** Called by the manager's TextEncoderStream installer: placeholders are only handed out where they are swapped back. */
export function enableFrameSwap(): void {
  installed = true;
}

/**
 * For the wire transformer: the placeholder to serialize instead of `value`
 * (a string: superjson's own output is always an object, so a `data: "`
 * line is never anything else), or undefined to serialize `value` as usual.
 */
export function placeholderFor(value: object): string | undefined {
  const raw = installed ? rawValues.get(value) : undefined;
  if (!raw) return undefined;
  // One line per value however many streams send it: each stream's placeholder points at the same bytes.
  raw.line ??= coalesce([LINE_START, ...raw.json(), LINE_END]);
  const now = Date.now();
  if (pending.size > 0) for (const [key, entry] of pending) if (now - entry.at > STALE_MS) pending.delete(key);
  const key = `${PREFIX}${++issued}`;
  pending.set(key, { chunks: raw.line, at: now });
  return key;
}

/** For the encoder: the bytes of a placeholder's line, in order (once), or undefined for any other chunk. */
export function takeFrame(chunk: string): Uint8Array[] | undefined {
  if (!chunk.startsWith(LINE_PREFIX)) return undefined;
  const key = chunk.slice(LINE_PREFIX.length - PREFIX.length, chunk.indexOf('"', LINE_PREFIX.length));
  const entry = pending.get(key);
  if (!entry) throw new Error(`SSE frame ${key} is unknown or was already sent`);
  pending.delete(key);
  return entry.chunks;
}

/** Placeholders issued and not yet swapped (for tests). */
export function pendingFrames(): number {
  return pending.size;
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The pieces as few chunks: runs of small pieces copied together, large (shared) pieces left as they are. */
function coalesce(pieces: readonly Uint8Array[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let run: Uint8Array[] = [];
  for (const piece of pieces) {
    if (piece.byteLength < SHARED_PIECE_BYTES) run.push(piece);
    else {
      if (run.length > 0) chunks.push(concatBytes(run));
      run = [];
      chunks.push(piece);
    }
  }
  if (run.length > 0) chunks.push(concatBytes(run));
  return chunks;
}

/**
 * `JSON.stringify(value)` as UTF-8 bytes, in pieces (to be written in order): each object
 * property value of `value` and each element of its array properties is
 * serialized once per object identity (`cache`; an array already in it is
 * taken whole), so configs that share those objects share their bytes. Same output as `JSON.stringify` for
 * JSON data (no toJSON, no functions; undefined properties left out as it does).
 */
export function jsonPieces(value: Record<string, unknown>, cache: WeakMap<object, Uint8Array>): Uint8Array[] {
  const piece = (v: unknown): Uint8Array => {
    if (typeof v !== "object" || v === null) return encoder.encode(JSON.stringify(v));
    let bytes = cache.get(v);
    if (!bytes) cache.set(v, (bytes = encoder.encode(JSON.stringify(v))));
    return bytes;
  };
  const parts: Uint8Array[] = [];
  let first = true;
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
    parts.push(encoder.encode(`${first ? "{" : ","}${JSON.stringify(key)}:`));
    first = false;
    const whole = typeof v === "object" && v !== null ? cache.get(v) : undefined;
    if (whole) parts.push(whole);
    else if (Array.isArray(v)) {
      parts.push(encoder.encode("["));
      v.forEach((element, i) => {
        if (i > 0) parts.push(COMMA);
        // As JSON.stringify: an undefined (or function) element is written as null.
        parts.push(element === undefined || typeof element === "function" || typeof element === "symbol" ? NULL : piece(element));
      });
      parts.push(encoder.encode("]"));
    } else parts.push(piece(v));
  }
  parts.push(encoder.encode(first ? "{}" : "}"));
  return parts;
}
