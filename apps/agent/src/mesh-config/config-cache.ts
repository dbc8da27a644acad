// The last good cluster config on disk (`<state-dir>/config-cache.json`,
// written atomically): an agent started while the manager is away configures
// its proxies from it, and resumes the stream from its event id.
import { join } from "node:path";
import type { ClusterConfig } from "@weft/mesh-model";
import { readJsonFile, writeFileAtomically } from "../state-files.ts";

export interface CachedConfig {
  /** The stream event id of the snapshot (`<configVersion>.<catalogVersion>.<hash>`). */
  eventId: string;
  cachedAt: string;
  config: ClusterConfig;
}

export class ConfigCache {
  readonly path: string;
  constructor(stateDir: string) {
    this.path = join(stateDir, "config-cache.json");
  }

  async load(cluster: string): Promise<CachedConfig | undefined> {
    let raw: unknown;
    try {
      raw = await readJsonFile(this.path);
    } catch {
      return undefined; // unreadable or torn by hand: the manager will send a fresh one
    }
    const cached = raw as Partial<CachedConfig> | undefined;
    if (!cached || typeof cached.eventId !== "string" || typeof cached.config !== "object" || cached.config === null) return undefined;
    // A cache of another cluster (state folder reused) must never configure these proxies.
    if (cached.config.cluster !== cluster) return undefined;
    return cached as CachedConfig;
  }

  save(eventId: string, config: ClusterConfig): Promise<void> {
    const entry: CachedConfig = { eventId, cachedAt: new Date().toISOString(), config };
    return writeFileAtomically(this.path, `${JSON.stringify(entry)}\n`);
  }
}
