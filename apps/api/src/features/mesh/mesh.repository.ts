import type { MtlsMode as StoredMtlsMode } from "@weft/db";
import type { MtlsMode } from "@weft/mesh-model";
import type { DbClient, SameValues } from "../../db-client.ts";

const _sameModes: SameValues<StoredMtlsMode, MtlsMode> = true;

export const DEFAULT_MESH_NAME = "default";

/** The mesh row: trust domain and the config version every accepted change bumps. */
export interface MeshInfo {
  id: string;
  name: string;
  trustDomain: string;
  mtlsMode: MtlsMode;
  configVersion: bigint;
}

const select = { id: true, name: true, trustDomain: true, mtlsMode: true, configVersion: true } as const;

export class MeshRepository {
  constructor(private readonly db: DbClient) {}

  /** Creates the default mesh when it is missing; never changes an existing one. */
  async ensureDefault(trustDomain: string): Promise<MeshInfo> {
    return this.db.mesh.upsert({ where: { name: DEFAULT_MESH_NAME }, create: { name: DEFAULT_MESH_NAME, trustDomain }, update: {}, select });
  }

  async get(): Promise<MeshInfo | null> {
    return this.db.mesh.findUnique({ where: { name: DEFAULT_MESH_NAME }, select });
  }

  /**
   * Locks the mesh row until the transaction ends: changes are serialized, so
   * each one is analyzed against the state the previous one left.
   */
  async lock(): Promise<MeshInfo | null> {
    await this.db.$queryRaw`SELECT id FROM "Mesh" WHERE name = ${DEFAULT_MESH_NAME} FOR UPDATE`;
    return this.get();
  }

  /** Sets the settings a Mesh resource carries (inside the change's transaction). */
  async updateSettings(id: string, settings: { trustDomain: string; mtlsMode: MtlsMode }): Promise<void> {
    await this.db.mesh.update({ where: { id }, data: settings });
  }

  /**
   * Bumps the config version; returns the new one. Inside the change's
   * transaction, so the NOTIFY to every manager replica (config-bus.ts) is
   * delivered exactly when the change commits.
   */
  async bumpConfigVersion(id: string): Promise<bigint> {
    const { configVersion } = await this.db.mesh.update({ where: { id }, data: { configVersion: { increment: 1 } }, select: { configVersion: true } });
    await this.db.$executeRaw`SELECT pg_notify('weft_config', 'config')`;
    return configVersion;
  }
}
