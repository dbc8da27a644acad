import { type Finding, finding } from "../analysis/findings.ts";
import type { SnapshotIndex } from "../analysis/snapshot.ts";
import { refOf } from "../resource/resource.schema.ts";

/** WEFT7001: an export must name a service (or a namespace) some cluster has discovered. */
export function analyzeServiceExports(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  for (const mesh of index.ofKind("Mesh")) {
    mesh.spec.multicluster?.export.services.forEach((e, i) => {
      if (e.name !== undefined) {
        if (!index.service("Service", e.namespace, e.name))
          out.push(finding("WEFT7001", refOf(mesh), `spec.multicluster.export.services[${i}].name`, `service ${e.namespace}/${e.name} is not known: no cluster has discovered it, so there is nothing to export`));
      } else if (!index.snapshot.services.some((s) => s.namespace === e.namespace))
        out.push(finding("WEFT7001", refOf(mesh), `spec.multicluster.export.services[${i}].namespace`, `namespace ${e.namespace} has no service any cluster has discovered, so there is nothing to export`));
    });
  }
  return out;
}
