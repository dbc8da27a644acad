// A pure, dependency-free content hash for config versions (no node:crypto in
// the domain). Not cryptographic: it only has to change when the config does.

/** JSON with object keys sorted at every level, so equal values print equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/**
 * 64-bit FNV-1a over the UTF-16 code units of `text`, as 16 hex digits: the
 * low byte of each code unit is xored into bits 0–7 and the high byte into
 * bits 16–23 (so both bytes take part), then the state is multiplied by the
 * prime 0x100000001b3 = 2^40 + 0x1b3. The state is two 32-bit halves; every
 * step stays exact in doubles (a half times 0x1b3 is below 2^41). This runs
 * once per compiled config over its whole canonical JSON, so it is written
 * for speed: the same digest as the four-limb form it replaced.
 */
export function fnv1a64(text: string): string {
  // offset basis 0xcbf29ce484222325
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    lo = (lo ^ ((c & 0xff) | ((c >>> 8) << 16))) >>> 0;
    // (hi·2^32 + lo) · (2^40 + 0x1b3) mod 2^64
    const low = lo * 0x1b3;
    const carry = Math.floor(low / 0x100000000);
    hi = (Math.imul(hi, 0x1b3) + carry + (lo << 8)) >>> 0;
    lo = low >>> 0;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}
