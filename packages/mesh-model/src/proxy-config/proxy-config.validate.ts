// Validation entry points: every problem with its path, never just the first.
import { parse as parseYaml } from "yaml";
import { formatPath } from "../common/issues.ts";
import { ProxyConfigSchema, type ProxyConfig } from "./proxy-config.schema.ts";

/** One problem in a ProxyConfig, e.g. `virtualHosts[0].routes[1].rules[0].backendRefs[0].backend`. */
export interface ProxyConfigIssue {
  path: string;
  message: string;
}

export type ProxyConfigValidation = { ok: true; config: ProxyConfig } | { ok: false; issues: ProxyConfigIssue[] };

/** Validates an unknown value as a ProxyConfig, applying defaults. */
export function validateProxyConfig(input: unknown): ProxyConfigValidation {
  const result = ProxyConfigSchema.safeParse(input);
  if (result.success) return { ok: true, config: result.data };
  return {
    ok: false,
    issues: result.error.issues.map((i) => ({ path: formatPath(i.path) || "(root)", message: i.message })),
  };
}

/** One line per issue: `path: message`. */
export function describeIssues(issues: readonly ProxyConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

/** Error thrown when a config document cannot be parsed at all. */
export class ProxyConfigParseError extends Error {
  readonly code = "PROXY_CONFIG_PARSE";
  constructor(message: string) {
    super(message);
    this.name = "ProxyConfigParseError";
  }
}

/**
 * Parses a YAML or JSON document (YAML is a superset of JSON) into a plain
 * value, ready for `validateProxyConfig`. Throws ProxyConfigParseError.
 */
export function parseProxyConfigDocument(text: string): unknown {
  try {
    return parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new ProxyConfigParseError(err instanceof Error ? err.message : String(err));
  }
}
