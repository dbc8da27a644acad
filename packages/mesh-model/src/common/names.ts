import { z } from "zod";

// Kubernetes naming rules (k8s.io/apimachinery validation), so resources can be
// mirrored to and from CRDs without renaming.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
/** RFC 9110 `token`: what an HTTP field (header) name may consist of. */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Gateway API hostname: a DNS name, optionally with a leading `*.` wildcard label. */
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** True when `value` is a DNS-1123 label (lowercase alphanumerics and `-`, at most 63 characters). */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

/** True when `value` is a DNS-1123 subdomain (dot-separated labels, at most 253 characters). */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value) && value.split(".").every((part) => part.length <= 63);
}

/** True when `value` is a valid HTTP header (field) name token. */
export function isHeaderName(value: string): boolean {
  return HTTP_TOKEN.test(value);
}

/** A DNS-1123 label: namespaces, service names, version subsets, rule and listener names. */
export const DnsLabelSchema = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(63, { message: "must be at most 63 characters (DNS-1123 label)" })
  .regex(DNS1123_LABEL, {
    message: "must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit",
  });

/** A DNS-1123 subdomain: resource names. */
export const DnsSubdomainSchema = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(253, { message: "must be at most 253 characters (DNS-1123 subdomain)" })
  .refine(isDnsSubdomain, {
    message:
      "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit and at most 63 characters",
    params: { code: "invalid_name" },
  });

/** An HTTP header name (RFC 9110 token). Matching is case-insensitive. */
export const HeaderNameSchema = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(256, { message: "must be at most 256 characters" })
  .regex(HTTP_TOKEN, { message: "must be a valid HTTP header name (RFC 9110 token: no spaces, ':' or separators)" });

/** A hostname, optionally with a leading `*.` wildcard (`api.example.com`, `*.example.com`). */
export const HostnameSchema = z
  .string()
  .max(253, { message: "must be at most 253 characters" })
  .regex(HOSTNAME, {
    message: "must be a lowercase DNS name, optionally starting with '*.' (for example api.example.com or *.example.com)",
  });

/** A TCP/UDP port number. */
export const PortNumberSchema = z
  .number()
  .int({ message: "must be an integer" })
  .min(1, { message: "must be between 1 and 65535" })
  .max(65535, { message: "must be between 1 and 65535" });

/** A percentage between 0 and 100 (fractions allowed, e.g. 0.5 for one request in 200). */
export const PercentageSchema = z
  .number()
  .min(0, { message: "must be between 0 and 100" })
  .max(100, { message: "must be between 0 and 100" });

function isQualifiedKey(key: string): boolean {
  const slash = key.indexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !isDnsSubdomain(prefix)) return false;
  return name.length <= 63 && QUALIFIED_NAME_PART.test(name);
}

/** A Kubernetes label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const QualifiedKeySchema = z.string().refine(isQualifiedKey, {
  message: "must be a qualified key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.'",
  params: { code: "invalid_key" },
});

/** A Kubernetes label value: at most 63 letters, digits, `-`, `_` or `.`, may be empty. */
export const LabelValueSchema = z
  .string()
  .max(63, { message: "must be at most 63 characters" })
  .regex(LABEL_VALUE, { message: "must consist of letters, digits, '-', '_' or '.', starting and ending with a letter or digit" });
