// Universal-mode discovery: reads the services file, validates it and follows
// its changes. An invalid edit keeps the last good catalog.
import { createHash } from "node:crypto";
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import { formatPath } from "@weft/mesh-model";
import YAML from "yaml";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import type { DiscoveryProvider, ProviderStatus } from "../discovery/provider.ts";
import { errorMessage, type Logger } from "../logger.ts";
import { universalToCatalog, type ProxyReadiness } from "./universal-catalog.ts";
import { UniversalFileSchema, type UniversalFile } from "./universal-file.schema.ts";

export interface FileIssue {
  /** e.g. `services[1].instances[0].port`; `(document)` for syntax errors. */
  path: string;
  message: string;
}

/** A universal file that cannot be used, with every problem found. */
export class UniversalFileError extends Error {
  override readonly name = "UniversalFileError";
  readonly code = "UNIVERSAL_FILE_INVALID";
  constructor(
    readonly file: string,
    readonly issues: FileIssue[],
  ) {
    super(issues.map((i) => `${file}: ${i.path}: ${i.message}`).join("\n"));
  }
}

/** Parses and validates the text of a universal file; throws UniversalFileError naming `file`. */
export function parseUniversalFile(file: string, text: string): UniversalFile {
  let doc: unknown;
  try {
    doc = YAML.parse(text, { prettyErrors: true, maxAliasCount: 100 });
  } catch (err) {
    throw new UniversalFileError(file, [{ path: "(document)", message: `is not valid YAML: ${errorMessage(err).split("\n")[0]}` }]);
  }
  const result = UniversalFileSchema.safeParse(doc ?? {});
  if (!result.success) throw new UniversalFileError(file, result.error.issues.map((i) => ({ path: formatPath(i.path) || "(root)", message: i.message })));
  return result.data;
}

export async function loadUniversalFile(file: string): Promise<UniversalFile> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new UniversalFileError(file, [{ path: "(file)", message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` }]);
  }
  return parseUniversalFile(file, text);
}

export interface UniversalProviderOptions {
  logger: Logger;
  /** Editors write in several steps: wait this long after the last change. */
  debounceMs?: number;
  /** How soon to re-create the watcher after it failed (e.g. the folder was replaced). */
  rewatchMs?: number;
  /**
   * Readiness of the local proxies: an instance with a proxy is reported
   * ready only while its proxy is (call `readinessChanged` when it changes).
   * Omitted, the file's `ready` alone decides.
   */
  proxyReady?: ProxyReadiness;
}

export class UniversalFileProvider implements DiscoveryProvider {
  readonly path: string;
  #sink: ((snapshot: CatalogSnapshot) => void) | undefined;
  #fileListeners = new Set<(file: UniversalFile) => void>();
  #watcher: FSWatcher | undefined;
  #timers: { debounce?: NodeJS.Timeout; rewatch?: NodeJS.Timeout } = {};
  #lastGoodHash: string | undefined;
  #lastGood: UniversalFile | undefined;
  #status: ProviderStatus = { provider: "universal", synced: false };
  #loading: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(
    path: string,
    private readonly options: UniversalProviderOptions,
  ) {
    this.path = resolve(path);
  }

  /** The last valid content, if any. */
  get current(): UniversalFile | undefined {
    return this.#lastGood;
  }

  /** Called with every new valid file (supervision follows the local instances through this). */
  onFile(listener: (file: UniversalFile) => void): () => void {
    this.#fileListeners.add(listener);
    return () => this.#fileListeners.delete(listener);
  }

  async start(sink: (snapshot: CatalogSnapshot) => void): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    this.#watch();
    await this.reload("start");
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timers.debounce);
    clearTimeout(this.#timers.rewatch);
    this.#watcher?.close();
    this.#watcher = undefined;
    await this.#loading;
  }

  status(): ProviderStatus {
    return { ...this.#status };
  }

  /** Reports the last good file again with the proxies' current readiness (the catalog sends only what changed). */
  readinessChanged(): void {
    if (this.#stopped || !this.#lastGood) return;
    this.#sink?.(universalToCatalog(this.#lastGood, this.options.proxyReady));
  }

  /** Reads the file again; serialized so an older read never overwrites a newer one. */
  reload(why: string): Promise<void> {
    this.#loading = this.#loading.then(() => this.#load(why));
    return this.#loading;
  }

  async #load(why: string): Promise<void> {
    if (this.#stopped) return;
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      this.#fail(new UniversalFileError(this.path, [{ path: "(file)", message: `cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}` }]));
      return;
    }
    const hash = createHash("sha256").update(text).digest("hex");
    if (hash === this.#lastGoodHash) {
      // Reverted to the last good content, or a no-op write: nothing to redo.
      this.#status.lastError = undefined;
      return;
    }
    let file: UniversalFile;
    try {
      file = parseUniversalFile(this.path, text);
    } catch (err) {
      this.#fail(err instanceof UniversalFileError ? err : new UniversalFileError(this.path, [{ path: "(document)", message: errorMessage(err) }]));
      return;
    }
    this.#lastGoodHash = hash;
    this.#lastGood = file;
    this.#status = { provider: "universal", synced: true, lastUpdateAt: new Date().toISOString() };
    const snapshot = universalToCatalog(file, this.options.proxyReady);
    this.options.logger.info("universal file loaded", { file: this.path, why, services: file.services.length, instances: snapshot.endpoints.length });
    this.#sink?.(snapshot);
    for (const l of this.#fileListeners) l(file);
  }

  #fail(err: UniversalFileError): void {
    this.#status.lastError = err.message;
    this.options.logger.error(this.#lastGood ? "universal file refused; keeping the last good catalog" : "universal file refused; no catalog yet", {
      file: this.path,
      issues: err.issues,
    });
  }

  // The folder is watched, not the file: editors and ConfigMap updates replace
  // the file by rename, which would leave a file watch on the old inode.
  #watch(): void {
    if (this.#stopped) return;
    const name = basename(this.path);
    try {
      this.#watcher = watch(dirname(this.path), (_event, changed) => {
        if (changed !== null && changed !== name && !changed.startsWith("..")) return;
        clearTimeout(this.#timers.debounce);
        this.#timers.debounce = setTimeout(() => void this.reload("file changed"), this.options.debounceMs ?? 100);
      });
      this.#watcher.on("error", (err) => this.#rewatch(err));
    } catch (err) {
      this.#rewatch(err);
    }
  }

  #rewatch(err: unknown): void {
    this.options.logger.warn("cannot watch the universal file's folder; retrying", { file: this.path, error: errorMessage(err) });
    this.#watcher?.close();
    this.#watcher = undefined;
    clearTimeout(this.#timers.rewatch);
    this.#timers.rewatch = setTimeout(() => {
      this.#watch();
      // Changes made while nobody watched would be missed otherwise.
      void this.reload("re-watched");
    }, this.options.rewatchMs ?? 1000);
  }
}
