// The compiler's diagnostics as the dashboard shows them (diagnostics.list):
// which belong on a service's page, what each is about, who reported it. Pure.

export type DiagnosticSeverity = "error" | "warning" | "info";

/** One row of diagnostics.list. */
export interface DiagnosticLike {
  severity: DiagnosticSeverity;
  code: string;
  message: string;
  resource?: string | undefined;
  path: string;
  service?: string | undefined;
  cluster: string;
  proxies: string[];
  proxyCount: number;
}

/** Badge tone per severity (the dashboard's badge colours). */
export const SEVERITY_TONE: Record<DiagnosticSeverity, "critical" | "warning" | "info"> = { error: "critical", warning: "warning", info: "info" };

/**
 * The findings about one service: catalog findings naming it (its endpoints
 * left out, not exported, …) and findings about the resources that apply to
 * it (`Kind/namespace/name`, e.g. its TrafficPolicy's unsupported fields).
 */
export function diagnosticsForService<T extends DiagnosticLike>(rows: readonly T[], service: { namespace: string; name: string }, resourceKeys: Iterable<string> = []): T[] {
  const key = `${service.namespace}/${service.name}`;
  const resources = new Set(resourceKeys);
  return rows.filter((d) => d.service === key || (d.resource !== undefined && resources.has(d.resource)));
}

/** What a finding is about: the resource and field, else the service, else the input path. */
export function aboutOf(d: Pick<DiagnosticLike, "resource" | "path" | "service">): string {
  if (d.resource !== undefined) return d.path ? `${d.resource} ${d.path}` : d.resource;
  return d.service ?? d.path;
}

/** "shop/catalog-v1, shop/catalog-v2 and 3 more" */
export function reportedBy(d: Pick<DiagnosticLike, "proxies" | "proxyCount">): string {
  const more = d.proxyCount - d.proxies.length;
  return `${d.proxies.join(", ")}${more > 0 ? ` and ${more} more` : ""}`;
}

/** "unreachable_endpoint" → "unreachable endpoint" */
export function codeInWords(code: string): string {
  return code.replaceAll("_", " ");
}
