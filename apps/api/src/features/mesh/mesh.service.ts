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
}
