// The TLS server name a calling proxy sends when it reaches a service of
// another cluster through that cluster's east-west gateway. The gateway never
// terminates the TLS (the destination's inbound proxy does, so it sees the
// caller's own SVID): the server name in the ClientHello is all it can route
// on, so it must say which service, port and version subset is wanted.
//
//   <port>.<version | "any">.<service>.<namespace>.weft.internal
//
// Every part is one DNS label. A value that is not a plain lowercase DNS label
// (or that could be mistaken for an encoded one, or for "any" in the version
// slot) is written `x--` + lowercase unpadded base32 of its UTF-8 bytes, so
// format → parse is exact and two different inputs never share a name.

/** The suffix of every east-west server name. */
export const EAST_WEST_SNI_SUFFIX = "weft.internal";

/** What an east-west server name addresses. */
export interface EastWestTarget {
  service: string;
  namespace: string;
  /** The service port (what callers dial), not the instance's. */
  port: number;
  /** A version subset; every version when absent. */
  version?: string | undefined;
}

const ANY_VERSION = "any";
const ENCODED_PREFIX = "x--";
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const MAX_LABEL = 63;
/** Total length limit of a host name in the TLS server_name extension (RFC 6066 says "no trailing dot", DNS says 253). */
const MAX_NAME = 253;

function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const b of bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

function unbase32(text: string): Uint8Array | undefined {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const c of text) {
    const v = BASE32.indexOf(c);
    if (v < 0) return undefined;
    buffer = (buffer << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((buffer >>> (bits - 8)) & 255);
      bits -= 8;
    }
    buffer &= (1 << bits) - 1;
  }
  // Leftover bits must be zero padding of the last character (fewer than 5): anything else is not our encoding.
  if (bits >= 5 || buffer !== 0) return undefined;
  return Uint8Array.from(out);
}

function encodeLabel(value: string, reserved: readonly string[] = []): string | undefined {
  if (value.length === 0) return undefined;
  if (DNS_LABEL.test(value) && !value.startsWith(ENCODED_PREFIX) && !reserved.includes(value)) return value;
  const encoded = ENCODED_PREFIX + base32(new TextEncoder().encode(value));
  return encoded.length <= MAX_LABEL ? encoded : undefined;
}

function decodeLabel(label: string): string | undefined {
  if (!label.startsWith(ENCODED_PREFIX)) return DNS_LABEL.test(label) ? label : undefined;
  const bytes = unbase32(label.slice(ENCODED_PREFIX.length));
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The server name for `target`, or undefined when it cannot be one (a value
 * too long to fit a DNS label once encoded, a port out of range). Callers
 * treat undefined as "not reachable through a gateway".
 */
export function formatEastWestSni(target: EastWestTarget): string | undefined {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) return undefined;
  const version = target.version === undefined ? ANY_VERSION : encodeLabel(target.version, [ANY_VERSION]);
  const service = encodeLabel(target.service);
  const namespace = encodeLabel(target.namespace);
  if (version === undefined || service === undefined || namespace === undefined) return undefined;
  const name = `${target.port}.${version}.${service}.${namespace}.${EAST_WEST_SNI_SUFFIX}`;
  return name.length <= MAX_NAME ? name : undefined;
}

/** Reads a server name made by {@link formatEastWestSni} (case-insensitively); undefined for anything else. */
export function parseEastWestSni(name: string): EastWestTarget | undefined {
  if (name.length === 0 || name.length > MAX_NAME) return undefined;
  const labels = name.toLowerCase().split(".");
  if (labels.length !== 6 || `${labels[4]}.${labels[5]}` !== EAST_WEST_SNI_SUFFIX) return undefined;
  const [portText = "", versionLabel = "", serviceLabel = "", namespaceLabel = ""] = labels;
  if (!/^[1-9][0-9]{0,4}$/.test(portText)) return undefined;
  const port = Number(portText);
  if (port > 65535) return undefined;
  const version = versionLabel === ANY_VERSION ? undefined : decodeLabel(versionLabel);
  const service = decodeLabel(serviceLabel);
  const namespace = decodeLabel(namespaceLabel);
  if ((versionLabel !== ANY_VERSION && version === undefined) || service === undefined || namespace === undefined) return undefined;
  const target = { service, namespace, port, ...(version !== undefined ? { version } : {}) };
  // One name per target: a needlessly encoded label (x-- of a plain label) is not ours.
  return formatEastWestSni(target) === labels.join(".") ? target : undefined;
}
