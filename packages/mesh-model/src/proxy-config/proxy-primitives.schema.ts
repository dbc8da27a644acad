// Building blocks shared by the ProxyConfig's areas: durations, ports, names,
// header names and values, regular expressions, PEM material, TLS server
// names and localities, each with its bounds.
import { z } from "zod";

const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** A duration in whole milliseconds (1 ms .. 24 h). */
export const DurationMsSchema = z
  .number()
  .int()
  .positive()
  .max(MAX_DURATION_MS)
  .describe("A duration in whole milliseconds (1 ms to 24 h).");

/** A TCP port; 0 asks the OS for an ephemeral port (tests, local runs). */
export const PortSchema = z
  .number()
  .int()
  .min(0)
  .max(65535)
  .describe("TCP port; 0 lets the operating system pick a free port.");

export const NameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lowercase DNS-style name")
  .describe("Lowercase DNS-style name.");

export const HeaderNameSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, "must be a valid HTTP header name (RFC 9110 token)")
  .describe("HTTP header name (RFC 9110 token); matched case-insensitively.");

/** Values must not smuggle a CR or LF into the forwarded request. */
export const HeaderValueSchema = z
  .string()
  .max(4096)
  .regex(/^[^\r\n\0]*$/, "must not contain CR, LF or NUL")
  .describe("HTTP header value (no CR, LF or NUL).");

export function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

export const RegexSchema = z
  .string()
  .min(1)
  .max(1024)
  .refine(compiles, "must be a valid ECMAScript regular expression")
  .describe("ECMAScript regular expression, matched against the whole value (implicitly anchored).");

export const PemSchema = z
  .string()
  .min(1)
  .max(64 * 1024)
  .regex(/-----BEGIN [A-Z0-9 ]+-----/, "must be PEM-encoded")
  .describe("PEM-encoded material.");

/** A TLS server name as a ClientHello carries it: an ASCII host name (RFC 6066), no IP literal, no trailing dot. */
export const SniSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?=.*[a-z])[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, "must be a lowercase DNS host name")
  .describe("TLS server name (SNI), lowercase.");

export const LocalitySchema = z
  .object({
    zone: z.string().min(1).optional().describe("Availability zone (e.g. topology.kubernetes.io/zone)."),
    cluster: z.string().min(1).optional().describe("Weft cluster name."),
  })
  .describe("Where a workload runs; the proxy prefers endpoints in its own zone, then its own cluster.");
export type Locality = z.infer<typeof LocalitySchema>;
