import { notFound } from "../../errors.ts";
import type { MeshInfo, MeshRepository } from "./mesh.repository.ts";

export class MeshService {
  constructor(private readonly repo: MeshRepository) {}

  /** Creates the default mesh on first start (trust domain from WEFT_TRUST_DOMAIN). */
  ensureDefault(trustDomain: string): Promise<MeshInfo> {
    return this.repo.ensureDefault(trustDomain);
  }

  get(): Promise<MeshInfo | null> {
    return this.repo.get();
  }

  /** The mesh as `mesh.status` shows it; NOT_FOUND before the manager created it. */
  async status(): Promise<MeshInfo> {
    const mesh = await this.repo.get();
    if (!mesh) throw notFound("the mesh (the manager creates it at start)");
    return mesh;
  }
}
