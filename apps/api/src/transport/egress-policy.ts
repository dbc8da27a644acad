// Where the manager may open HTTP connections of its own: rollout webhooks
// and notification channels take URLs from operators, so without a limit
// an operator could make the manager POST into its own network (a cloud
// metadata service, a sidecar's admin port, an internal service that trusts
// its network). The policy judges the address a connection is about to be
// made to (after DNS resolution: outbound-fetch.ts applies it at connect
// time, so a name that resolves to something else the second time gains
// nothing). Public unicast addresses are allowed; every other range only
// when WEFT_OUTBOUND_ALLOW lists it (a CIDR or an address) — or, for
// loopback and private ranges, when it lists the URL's host name.
import { BlockList, isIP } from "node:net";

/** Ranges the manager does not connect to unless they are allowed; checked in this order. */
const SPECIAL_RANGES: { kind: string; why: string; v4: [string, number][]; v6: [string, number][] }[] = [
  { kind: "link-local", why: "cloud metadata services answer there", v4: [["169.254.0.0", 16]], v6: [["fe80::", 10]] },
  { kind: "unspecified", why: "it means this host", v4: [["0.0.0.0", 8]], v6: [["::", 128]] },
  { kind: "multicast or broadcast", why: "it is not one host", v4: [["224.0.0.0", 4], ["240.0.0.0", 4]], v6: [["ff00::", 8]] },
  { kind: "loopback", why: "it is the manager's own host", v4: [["127.0.0.0", 8]], v6: [["::1", 128]] },
  {
    kind: "private",
    why: "it is inside the manager's network",
    v4: [["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["100.64.0.0", 10], ["192.0.0.0", 24], ["198.18.0.0", 15]],
    // fc00::/7 holds AWS's IPv6 metadata address (fd00:ec2::254); 64:ff9b::/96 reaches IPv4 through NAT64.
    v6: [["fc00::", 7], ["64:ff9b::", 96], ["64:ff9b:1::", 48]],
  },
];

/** Kinds a host-name entry may reach; link-local, unspecified and multicast need an address or CIDR entry. */
const NAMEABLE = new Set(["loopback", "private"]);

const blockOf = (v4: [string, number][], v6: [string, number][]) => {
  const list = new BlockList();
  for (const [net, bits] of v4) list.addSubnet(net, bits, "ipv4");
  for (const [net, bits] of v6) list.addSubnet(net, bits, "ipv6");
  return list;
};
const RANGES = SPECIAL_RANGES.map((r) => ({ ...r, list: blockOf(r.v4, r.v6) }));

/** A bad WEFT_OUTBOUND_ALLOW entry, with the reason. */
export interface EgressEntryProblem {
  entry: string;
  message: string;
}

/** The parsed allow-list: address ranges, exact host names and `*.suffix` wildcards (lower case). */
export interface EgressPolicy {
  /** The entries as given, for messages and logs. */
  entries: string[];
  ranges: BlockList;
  hosts: Set<string>;
  suffixes: string[];
}

const HOST_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]*[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/** Strips the brackets of an IPv6 URL host. */
function bare(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** The problems of a WEFT_OUTBOUND_ALLOW value (comma-separated CIDRs, addresses, host names and `*.domain` wildcards). */
export function egressAllowProblems(text: string): EgressEntryProblem[] {
  const problems: EgressEntryProblem[] = [];
  for (const entry of splitEntries(text)) {
    const [net, bits, extra] = entry.split("/");
    const family = isIP(bare(net ?? ""));
    if (entry.includes("://")) problems.push({ entry, message: "is a URL: list its host name (hooks.internal), an address or a CIDR" });
    else if (entry.includes("/")) {
      const max = family === 4 ? 32 : 128;
      if (family === 0) problems.push({ entry, message: "is not a CIDR: the part before / must be an IPv4 or IPv6 address" });
      else if (extra !== undefined || !/^\d{1,3}$/.test(bits ?? "") || Number(bits) > max) problems.push({ entry, message: `has a bad prefix length: must be 0 to ${max}` });
    } else if (family === 0 && !HOST_NAME.test(entry.toLowerCase())) {
      problems.push({ entry, message: "is neither an address, a CIDR (10.0.0.0/8), a host name (hooks.internal) nor a wildcard (*.corp.example)" });
    }
  }
  return problems;
}

function splitEntries(text: string): string[] {
  return text
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
}

/** Parses WEFT_OUTBOUND_ALLOW; throws naming the first bad entry (the environment check reports them all first). */
export function parseEgressAllow(text: string): EgressPolicy {
  const problems = egressAllowProblems(text);
  if (problems.length > 0) throw new Error(`WEFT_OUTBOUND_ALLOW: "${problems[0]?.entry}" ${problems[0]?.message}`);
  const ranges = new BlockList();
  const hosts = new Set<string>();
  const suffixes: string[] = [];
  const entries = splitEntries(text);
  for (const entry of entries) {
    const [net = "", bits] = entry.split("/");
    const family = isIP(bare(net));
    if (family !== 0) {
      const type = family === 4 ? "ipv4" : "ipv6";
      if (bits === undefined) ranges.addAddress(bare(net), type);
      else ranges.addSubnet(bare(net), Number(bits), type);
    } else if (entry.startsWith("*.")) suffixes.push(entry.slice(1).toLowerCase());
    else hosts.add(entry.toLowerCase());
  }
  return { entries, ranges, hosts, suffixes };
}

/** The special range an address is in (loopback, private, link-local, …), or null for a public unicast address. */
export function addressKind(address: string): { kind: string; why: string } | null {
  const ip = bare(address);
  const family = isIP(ip);
  if (family === 0) return { kind: "not an address", why: "it could not be judged" };
  const type = family === 4 ? "ipv4" : "ipv6";
  const range = RANGES.find((r) => r.list.check(ip, type));
  return range ? { kind: range.kind, why: range.why } : null;
}

function hostAllowed(policy: EgressPolicy, host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, "");
  return policy.hosts.has(name) || policy.suffixes.some((s) => name.endsWith(s));
}

/** The manager refused to connect: the address is in a range WEFT_OUTBOUND_ALLOW does not allow. */
export class OutboundRefusedError extends Error {
  override readonly name = "OutboundRefusedError";
  readonly code = "OUTBOUND_REFUSED";
}

/**
 * Why the manager must not connect to `address` (which `host` resolved to;
 * the same for an address in the URL), or null when it may.
 */
export function egressRefusal(policy: EgressPolicy, host: string, address: string): OutboundRefusedError | null {
  const ip = bare(address);
  const special = addressKind(ip);
  if (!special) return null;
  const family = isIP(ip);
  if (family !== 0 && policy.ranges.check(ip, family === 4 ? "ipv4" : "ipv6")) return null;
  const named = bare(host) !== ip;
  if (named && NAMEABLE.has(special.kind) && hostAllowed(policy, bare(host))) return null;
  const target = named ? `${bare(host)} resolves to ${ip}, which` : ip;
  const hint = NAMEABLE.has(special.kind) ? `add ${named ? `${bare(host)} or ` : ""}a CIDR covering ${ip} to WEFT_OUTBOUND_ALLOW to allow it` : `only an address or CIDR entry in WEFT_OUTBOUND_ALLOW covering ${ip} allows it`;
  return new OutboundRefusedError(`refused to connect: ${target} is a ${special.kind} address (${special.why}); ${hint}`);
}

/**
 * What can be told from a URL alone, before any DNS lookup: its host is an
 * address the policy refuses. Used to refuse such URLs when they are saved;
 * names are judged when the connection is made.
 */
export function urlRefusal(policy: EgressPolicy, url: string): OutboundRefusedError | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null; // the schema reports a bad URL
  }
  if (host === "localhost" || host.endsWith(".localhost")) return egressRefusal(policy, host, "127.0.0.1");
  return isIP(bare(host)) === 0 ? null : egressRefusal(policy, host, host);
}

/** The policy of an unset WEFT_OUTBOUND_ALLOW: public addresses only. */
export const PUBLIC_ONLY: EgressPolicy = parseEgressAllow("");

/** What `npm start` and the tests allow: this machine (the demo's inbox and the tests' receivers listen on loopback). */
export const LOOPBACK_ALLOWED = "127.0.0.0/8,::1";
