// Compile diagnostics: what the compiler could not express, or had to decide,
// each with the resource and field path it is about (Kuma style: all of them,
// never just the first).

/** How serious a diagnostic is. */
export type DiagnosticSeverity = "error" | "warning" | "info";

/** One finding of a compilation. */
export interface CompileDiagnostic {
  /** error: part of the config fails closed (e.g. a backend with no endpoints); warning: a setting has no effect or was adjusted; info: a decision worth knowing. */
  severity: DiagnosticSeverity;
  /** Stable machine code, e.g. `unsupported_field`, `unknown_backend`, `conflicting_policies`. */
  code: string;
  /** For a human. */
  message: string;
  /** `Kind/namespace/name` of the resource it is about; absent for catalog or option findings. */
  resource?: string;
  /** Path inside the resource (`spec.rules[0].filters[1]`) or the input (`catalog.services[2]`). */
  path: string;
  /** `namespace/name` of the catalog service a catalog finding is about (which endpoints were left out, and why), so views can list it with the service. */
  service?: string;
}

const SEVERITY_ORDER: Record<DiagnosticSeverity, number> = { error: 0, warning: 1, info: 2 };

/** Collects diagnostics, once each, and hands them back in a stable order. */
export class DiagnosticSink {
  private readonly seen = new Map<string, CompileDiagnostic>();

  add(diagnostic: CompileDiagnostic): void {
    const key = `${diagnostic.code}|${diagnostic.resource ?? ""}|${diagnostic.path}|${diagnostic.message}`;
    if (!this.seen.has(key)) this.seen.set(key, diagnostic);
  }

  /** Adds each, in order (diagnostics recorded by a shared part of a compilation, replayed into one proxy's). */
  addAll(diagnostics: readonly CompileDiagnostic[]): void {
    for (const d of diagnostics) this.add(d);
  }

  /** What was added, once each, in the order it was first added (for replaying into another sink). */
  entries(): CompileDiagnostic[] {
    return [...this.seen.values()];
  }

  /** Errors first, then by resource, path and code: reviewable in golden files. */
  list(): CompileDiagnostic[] {
    return [...this.seen.values()].sort(
      (a, b) =>
        SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
        compareText(a.resource ?? "", b.resource ?? "") ||
        compareText(a.path, b.path) ||
        compareText(a.code, b.code) ||
        compareText(a.message, b.message),
    );
  }
}

/** Code-unit order, independent of the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
