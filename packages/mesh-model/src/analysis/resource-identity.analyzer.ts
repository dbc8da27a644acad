import { refOf, resourceKey } from "../resource/resource.schema.ts";
import { type Finding, finding } from "./findings.ts";
import type { SnapshotIndex } from "./snapshot.ts";

/** WEFT0001, WEFT0002: resources that cannot coexist. */
export function analyzeResourceIdentity(index: SnapshotIndex): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const resource of index.snapshot.resources) {
    const key = resourceKey(refOf(resource));
    if (seen.has(key)) out.push(finding("WEFT0001", refOf(resource), "metadata.name", `${key} is defined more than once`));
    seen.add(key);
  }
  const meshes = index.ofKind("Mesh");
  for (const mesh of meshes.slice(1))
    out.push(finding("WEFT0002", refOf(mesh), "metadata.name", `Mesh "${mesh.metadata.name}" would be a second mesh (already: "${meshes[0]?.metadata.name}")`, meshes[0] ? [refOf(meshes[0])] : []));
  return out;
}
