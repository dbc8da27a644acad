// The last step of a compilation: validate the draft config and give it its
// version. The result is exactly what `ProxyConfigSchema.parse` of the whole
// draft gives (same values, same key order) with the version
// `c<COMPILER_REVISION>-<fnv1a64 of the canonical JSON of the rest>`; only the
// work differs. Virtual hosts and backends — almost all of a config, and the
// same objects in every config that shares an outbound part — are each
// validated and printed as canonical JSON once, and those results are
// remembered per object (WeakMaps: nothing outlives the objects). The config's
// own fields are validated per config and the cross-field checks run on the
// whole, as the schema would.
import type { z } from "zod";
import { type Backend, BackendSchema } from "../proxy-config/proxy-backends.schema.ts";
import { PROXY_CONFIG_CHECKS } from "../proxy-config/proxy-config.checks.ts";
import { type ProxyConfig, ProxyConfigObjectSchema } from "../proxy-config/proxy-config.schema.ts";
import { type VirtualHost, VirtualHostSchema } from "../proxy-config/proxy-routes.schema.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { compareText } from "./diagnostics.ts";

/** Bumped when the compiler's output changes for the same input, so versions change too. */
export const COMPILER_REVISION = 4;

/** The config's fields other than its two big lists. */
const OwnFieldsSchema = ProxyConfigObjectSchema.omit({ virtualHosts: true, backends: true });
/** ProxyConfigSchema's key order, which the parsed config keeps. */
const KEY_ORDER = Object.keys(ProxyConfigObjectSchema.shape);

interface Checked<T> {
  value: T;
  /** canonicalJson(value). */
  json: string;
}

const checkedVirtualHosts = new WeakMap<object, Checked<VirtualHost>>();
const checkedBackends = new WeakMap<object, Checked<Backend>>();
const checkedLists = new WeakMap<readonly object[], { values: unknown[]; json: string }>();

interface Problem {
  path: PropertyKey[];
  message: string;
}

function checkList<T>(field: string, list: readonly object[], schema: z.ZodType<T>, memo: WeakMap<object, Checked<T>>, problems: Problem[]): { values: T[]; json: string } {
  const known = checkedLists.get(list) as { values: T[]; json: string } | undefined;
  if (known) return known;
  const values: T[] = [];
  const json: string[] = [];
  list.forEach((item, i) => {
    let checked = memo.get(item);
    if (!checked) {
      const result = schema.safeParse(item);
      if (!result.success) {
        for (const issue of result.error.issues) problems.push({ path: [field, i, ...issue.path], message: issue.message });
        return;
      }
      checked = { value: result.data, json: canonicalJson(result.data) };
      memo.set(item, checked);
    }
    values.push(checked.value);
    json.push(checked.json);
  });
  const out = { values, json: `[${json.join(",")}]` };
  if (problems.length === 0) checkedLists.set(list, out);
  return out;
}

/**
 * Validates a compiled draft — its own fields, its virtual hosts and
 * backends (already in config order) — and versions it. Throws when the
 * draft is invalid: the compiler's input was validated, so that is a
 * compiler bug, and the message says where the output went wrong.
 */
export function assembleConfig(own: Record<string, unknown>, virtualHosts: readonly object[], backends: readonly object[]): ProxyConfig {
  const problems: Problem[] = [];
  const hosts = checkList("virtualHosts", virtualHosts, VirtualHostSchema, checkedVirtualHosts, problems);
  const upstreams = checkList("backends", backends, BackendSchema, checkedBackends, problems);
  const fields = OwnFieldsSchema.safeParse(own);
  if (!fields.success) for (const issue of fields.error.issues) problems.push({ path: issue.path, message: issue.message });
  if (problems.length === 0 && fields.success) {
    const parsed: Record<string, unknown> = fields.data;
    const data: Record<string, unknown> = {};
    for (const key of KEY_ORDER) {
      if (key === "virtualHosts") data[key] = hosts.values;
      else if (key === "backends") data[key] = upstreams.values;
      else if (key in parsed) data[key] = parsed[key];
    }
    const config = data as ProxyConfig;
    const ctx = { addIssue: (issue: { path?: PropertyKey[]; message?: string }) => problems.push({ path: issue.path ?? [], message: issue.message ?? "invalid" }), value: config } as unknown as z.RefinementCtx;
    for (const check of PROXY_CONFIG_CHECKS) check(config, ctx);
    if (problems.length === 0) {
      // canonicalJson of everything but the version, with the two lists' text computed once per list.
      const text = Object.keys(data)
        .filter((k) => k !== "version" && data[k] !== undefined)
        .sort(compareText)
        .map((k) => `${JSON.stringify(k)}:${k === "virtualHosts" ? hosts.json : k === "backends" ? upstreams.json : canonicalJson(data[k])}`)
        .join(",");
      return { ...config, version: `c${COMPILER_REVISION}-${fnv1a64(`{${text}}`)}` };
    }
  }
  throw new Error(`compiled config is invalid: ${problems.map((p) => `${p.path.map(String).join(".")}: ${p.message}`).join("; ")}`);
}
