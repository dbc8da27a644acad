// `weft analyze -f DIR`: the manager's cross-resource analyzers
// (@weft/mesh-model's analyze) over a folder, with no manager. Without
// discovery, the findings that compare resources with what the clusters run
// cannot be made offline; they are left out and named, and `weft apply
// --dry-run` makes them against the live mesh.
import { ANALYZER_CODES, analyze, parseResources, refOf, resourceKey, type AnalyzerCode, type Finding, type ValidationIssue } from "@weft/mesh-model";
import { parseAllDocuments } from "yaml";
import { locate, type Manifests } from "./manifest-input.ts";

/** Codes that need discovery (services, versions, ports, workload identities) to mean anything. */
export const DISCOVERY_CODES: readonly AnalyzerCode[] = ["WEFT1001", "WEFT1002", "WEFT1003", "WEFT1005", "WEFT3001"];

export interface OfflineFinding extends Finding {
  /** Where the resource is declared: `file, document N`. */
  where: string;
}

export interface OfflineAnalysis {
  /** Documents that are not valid resources (nothing was analyzed then). */
  invalid: (ValidationIssue & { where: string })[];
  findings: OfflineFinding[];
  /** Codes not checked offline, with their titles. */
  notChecked: { code: AnalyzerCode; title: string }[];
  resources: number;
}

export function analyzeOffline(manifests: Manifests): OfflineAnalysis {
  const notChecked = DISCOVERY_CODES.map((code) => ({ code, title: ANALYZER_CODES[code].title }));
  const parsed = parseResources(manifests.text, manifests.format);
  if (!parsed.ok) return { invalid: parsed.issues.map((i) => ({ ...i, where: locate(manifests, i) })), findings: [], notChecked, resources: 0 };
  // Resources come back in document order, empty documents skipped: the same walk finds each one's document.
  const documents = manifests.format === "json" ? parsed.value.map((_, i) => i) : parseAllDocuments(manifests.text).flatMap((d, i) => (d.contents === null ? [] : [i]));
  const documentOf = new Map(parsed.value.map((r, i) => [resourceKey(refOf(r)), documents[i]]));
  const findings = analyze({ resources: parsed.value, services: [], workloads: [] })
    .filter((f) => !DISCOVERY_CODES.includes(f.code))
    .map((f) => ({ ...f, where: locate(manifests, { document: documentOf.get(resourceKey(f.resource)) }) }));
  return { invalid: [], findings, notChecked, resources: parsed.value.length };
}
