// File mode: the proxy follows its config file. Its agent also pushes configs
// through the admin API (PUT /config) and writes each accepted one to the file
// afterwards, so the file's watcher fires after every push — and a watcher
// event from before a push (debounced, or a read already under way) could
// land after it and put the older file back over the pushed config until the
// next write. A file that was on disk when a push began is older than that
// push: it is not applied again, unless the push was refused.
import { statSync } from "node:fs";
import { open } from "node:fs/promises";
import { parseProxyConfigDocument } from "@weft/mesh-model/proxy-config";
import type { ApplyResult } from "../core/apply-result.ts";
import type { Logger } from "../core/logger.ts";

/** The files superseded by the most recent pushes (one per push at most). */
const SUPERSEDED_KEPT = 16;

export interface FollowedProxy {
  readonly version: string | undefined;
  applyConfig(input: unknown): Promise<ApplyResult>;
}

/** Which file this is: a write by rename makes a new inode; an in-place edit changes the size or times. */
function identity(s: { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

export class ConfigFileFollower {
  #superseded: string[] = [];
  /** A file event was passed over as older than a push (read again if that push is refused). */
  #skipped = false;
  #reloading: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    /** The proxy, once started (reloads come after that). */
    private readonly proxy: () => FollowedProxy,
    private readonly logger: Logger,
  ) {}

  /**
   * A push is about to be applied: called synchronously right before it is
   * queued (so a reload's check and the push's application keep one order).
   * Returns what to call with the push's result.
   */
  pushStarting(): (result: ApplyResult) => void {
    let current: string;
    try {
      current = identity(statSync(this.path, { bigint: true }));
    } catch {
      return () => undefined;
    }
    if (this.#superseded.includes(current)) return () => undefined;
    this.#superseded.push(current);
    this.#superseded.splice(0, Math.max(0, this.#superseded.length - SUPERSEDED_KEPT));
    return (result) => {
      if (result.ok) return;
      // The file was not superseded after all: it gets its turn if an event for it was passed over.
      this.#superseded = this.#superseded.filter((id) => id !== current);
      if (this.#skipped) void this.reload("admin push refused");
    };
  }

  /** Reads the file and applies it; `force` (SIGHUP: the operator asked) applies it even if a push superseded it. Serialized. */
  reload(why: string, force = false): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reload(why, force));
    return this.#reloading;
  }

  async #reload(why: string, force: boolean): Promise<void> {
    const { logger } = this;
    const proxy = this.proxy();
    let read: { id: string; text: string };
    try {
      // The identity of the content read, not of whatever is there a moment later.
      const handle = await open(this.path, "r");
      try {
        read = { id: identity(await handle.stat({ bigint: true })), text: await handle.readFile("utf8") };
      } finally {
        await handle.close();
      }
    } catch (err) {
      logger.warn("reload failed, keeping the active config", { why, error: (err as NodeJS.ErrnoException).code ?? String(err), version: proxy.version });
      return;
    }
    // Checked and queued in one step: a push that begins after this is applied after this.
    if (!force && this.#superseded.includes(read.id)) {
      this.#skipped = true;
      logger.info("config file older than the pushed config; not reloaded", { why, version: proxy.version });
      return;
    }
    this.#skipped = false;
    let doc: unknown;
    try {
      doc = parseProxyConfigDocument(read.text);
    } catch (err) {
      logger.warn("reload failed, keeping the active config", { why, error: err instanceof Error ? err.message : String(err), version: proxy.version });
      return;
    }
    const result = await proxy.applyConfig(doc);
    if (result.ok) logger.info("reloaded", { why, version: result.version });
    else logger.warn("reload refused, keeping the active config", { why, reason: result.reason, version: proxy.version });
  }
}
