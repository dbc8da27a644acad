// The compile diagnostics of a cluster's proxies, folded for the
// acknowledgement: the same finding from many proxies (every caller of a
// service compiles the same warning about it) travels once, naming the
// proxies that reported it. Pure; shared by the universal and the Kubernetes
// side of the agent.
import { type CompileDiagnostic, compareText } from "../compiler/diagnostics.ts";
import { type AckDiagnostic, MAX_ACK_DIAGNOSTICS, MAX_DIAGNOSTIC_PROXIES } from "./config-ack.schema.ts";

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

/** One proxy's diagnostics of its current compile. */
export interface ProxyDiagnostics {
  proxy: string;
  diagnostics: readonly CompileDiagnostic[];
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * Folds per-proxy diagnostics into one entry per distinct finding, errors
 * first, then warnings, then info (by code, service, resource, path,
 * message), at most {@link MAX_ACK_DIAGNOSTICS} entries. Deterministic, so an
 * agent acknowledges an unchanged outcome only once.
 */
export function foldProxyDiagnostics(reports: readonly ProxyDiagnostics[]): AckDiagnostic[] {
  const byKey = new Map<string, { diagnostic: CompileDiagnostic; proxies: Set<string> }>();
  for (const { proxy, diagnostics } of reports) {
    for (const d of diagnostics) {
      const key = JSON.stringify([d.severity, d.code, d.service ?? "", d.resource ?? "", d.path, d.message]);
      const entry = byKey.get(key) ?? { diagnostic: d, proxies: new Set<string>() };
      entry.proxies.add(proxy);
      byKey.set(key, entry);
    }
  }
  const folded = [...byKey.values()].map(({ diagnostic: d, proxies }): AckDiagnostic => {
    const sorted = [...proxies].sort(compareText);
    return {
      severity: d.severity,
      code: clip(d.code, 100),
      message: clip(d.message, 2000),
      ...(d.resource !== undefined && { resource: clip(d.resource, 400) }),
      path: clip(d.path, 400),
      ...(d.service !== undefined && { service: clip(d.service, 400) }),
      proxies: sorted.slice(0, MAX_DIAGNOSTIC_PROXIES).map((p) => clip(p, 253)),
      proxyCount: sorted.length,
    };
  });
  folded.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      compareText(a.code, b.code) ||
      compareText(a.service ?? "", b.service ?? "") ||
      compareText(a.resource ?? "", b.resource ?? "") ||
      compareText(a.path, b.path) ||
      compareText(a.message, b.message),
  );
  return folded.slice(0, MAX_ACK_DIAGNOSTICS);
}
