// Prebuilt SSE data lines for config streams. tRPC's SSE producer turns
// every event into text itself — `JSON.stringify(transformer.serialize(data))`,
// then `data: …\n`, then our TextEncoderStream — once per connected stream.
// For a cluster config (about a megabyte at 1,000 services) that walk, the
// string and its UTF-8 copy were the largest cost of a change's fan-out in
// bench:sync's manager profile, and most of each config (the resources, the
// services seen from elsewhere) is the same object in every cluster's config.
//
// So a config event's line is built once as bytes (`jsonBytes`, from pieces
// cached per shared object) and reaches the socket without passing through
// text: the wire transformer hands tRPC a one-use placeholder string instead of
// the value, and the manager's TextEncoderStream (the only consumer of tRPC's
// SSE text on the manager) swaps the placeholder's line for the bytes. The
// bytes are exactly what tRPC would have sent (`data: {"json":<config>}\n`),
// so the agents' side of the contract does not change.

/** A value to send as bytes: its JSON (`JSON.stringify` of it, as UTF-8) and, once built, its whole data line. */
const rawValues = new WeakMap<object, { json: () => Uint8Array; line?: Uint8Array }>();
/** Placeholders handed to tRPC and not yet swapped back, with when they were issued. */
const pending = new Map<string, { bytes: Uint8Array; at: number }>();
/** Placeholders left by a stream closed between serialization and encoding are dropped after this. */
const STALE_MS = 60_000;
const PREFIX = "weft-raw-frame:";
/** How the placeholder's line reaches the encoder: tRPC writes `data: ${JSON.stringify(placeholder)}\n`. */
const LINE_PREFIX = `data: "${PREFIX}`;
let installed = false;
let issued = 0;

const encoder = new TextEncoder();
const COMMA = encoder.encode(",");
const NULL = encoder.encode("null");

/**
 * Marks `value` to be sent on an SSE stream as `json()` (its exact JSON
 * text as bytes), when the manager's encoder can swap it in; anywhere else
 * the value is serialized as usual. Returns `value`.
 */
export function sendAsJsonBytes<T extends object>(value: T, json: () => Uint8Array): T {
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
  raw.line ??= concatBytes([encoder.encode('data: {"json":'), raw.json(), encoder.encode("}\n")]);
  const now = Date.now();
  if (pending.size > 0) for (const [key, entry] of pending) if (now - entry.at > STALE_MS) pending.delete(key);
  const key = `${PREFIX}${++issued}`;
  pending.set(key, { bytes: raw.line, at: now });
  return key;
}

/** For the encoder: the bytes of a placeholder's line (once), or undefined for any other chunk. */
export function takeFrame(chunk: string): Uint8Array | undefined {
  if (!chunk.startsWith(LINE_PREFIX)) return undefined;
  const key = chunk.slice(LINE_PREFIX.length - PREFIX.length, chunk.indexOf('"', LINE_PREFIX.length));
  const entry = pending.get(key);
  if (!entry) throw new Error(`SSE frame ${key} is unknown or was already sent`);
  pending.delete(key);
  return entry.bytes;
}

/** Placeholders issued and not yet swapped (for tests). */
export function pendingFrames(): number {
  return pending.size;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.byteLength;
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/**
 * `JSON.stringify(value)` as UTF-8 bytes, built from pieces: each object
 * property value of `value` and each element of its array properties is
 * serialized once per object identity (`cache`; an array already in it is
 * taken whole), so configs that share those objects share their bytes. Same output as `JSON.stringify` for
 * JSON data (no toJSON, no functions; undefined properties left out as it does).
 */
export function jsonBytes(value: Record<string, unknown>, cache: WeakMap<object, Uint8Array>): Uint8Array {
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
  return concatBytes(parts);
}
