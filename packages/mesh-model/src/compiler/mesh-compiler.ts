// Many proxies, one snapshot: the agent compiles every local proxy against
// the same resources and catalog. MeshCompiler parses and indexes those once
// (MeshIndex), builds each outbound part — virtual hosts and backends, almost
// all of a config — once per place a caller can sit (namespace, cluster,
// zone, trust domain, certificates), and per proxy only adds the workload's
// own part (listeners, inbound security, rate limits). Every result is
// exactly what compileProxyConfig gives for the whole input, byte for byte
// (mesh-compiler.test.ts holds it to that).
import { issuesFromZod } from "../common/issues.ts";
import { CompileContext, MeshIndex, type OutboundPart, outboundPart } from "./compile-context.ts";
import { type Catalog, type CompileInput, type CompileInputRaw, CompileInputSchema, type ResourceEntry, ResourceEntrySchema } from "./compile-input.ts";
import { CompileInputError, type CompileResult, compileOutbound, compileWorkload } from "./compile.ts";
import { canonicalJson, fnv1a64 } from "./config-hash.ts";
import { type EgressScope, relevantContent, resolveEgressScope } from "./egress-scope.ts";

/** What the proxies of one snapshot share: its resources and catalog. */
export type SharedCompileInputRaw = Pick<CompileInputRaw, "resources" | "catalog">;
/** What is one proxy's own: its workload and options. */
export type ProxyCompileInputRaw = Pick<CompileInputRaw, "workload" | "options">;

const SharedSchema = CompileInputSchema.pick({ resources: true, catalog: true });
const ProxySchema = CompileInputSchema.pick({ workload: true, options: true });

/**
 * Keys of a snapshot's content from its source, when it has them: the
 * manager's revision id of each resource (in the order of `resources`) and a
 * key of the whole catalog. Equal keys must mean equal content; with them the
 * parse cache and the content hash need not serialize the content to compare
 * it (a thousand resources per snapshot, per agent). Keys that do not fit
 * (another number of resources) are ignored.
 */
export interface SharedContentKeys {
  resources?: readonly string[] | undefined;
  catalog?: string | undefined;
}

/**
 * Parses of the resources and catalog of the last snapshot, by content (their
 * JSON), for the next snapshot's MeshCompiler: a write changes one resource
 * among thousands, and only the changed ones need the schema's parse again.
 * Every entry is still validated — identical content was validated when it was
 * first seen, and parsing is a function of the content — so a malformed
 * snapshot is refused with the same error as without the cache. Holds the
 * entries of the last snapshot only. Content is compared by its JSON, or by
 * the source's own content keys when it has them ({@link SharedContentKeys}).
 */
export class SharedParseCache {
  #resources = new Map<string, ResourceEntry>();
  #catalog: { key: string; value: Catalog } | undefined;
  /** Entries parsed, and entries reused from the last snapshot (for tests and metrics). */
  readonly stats = { parsed: 0, reused: 0 };

  /** The parse of `shared`; issues as SharedSchema gives them when any entry is malformed. */
  parse(shared: SharedCompileInputRaw, keys: SharedContentKeys = {}): ReturnType<typeof SharedSchema.safeParse> {
    const full = () => SharedSchema.safeParse(shared, { reportInput: true });
    if (shared.resources !== undefined && !Array.isArray(shared.resources)) return full();
    const resources: ResourceEntry[] = [];
    const next = new Map<string, ResourceEntry>();
    const ids = keys.resources?.length === (shared.resources ?? []).length ? keys.resources : undefined;
    for (const [i, entry] of (shared.resources ?? []).entries()) {
      // A revision id cannot look like an entry's JSON (which starts with "{"), so the two kinds of keys never meet.
      const key = ids ? `#${ids[i]}` : JSON.stringify(entry);
      let parsed = this.#resources.get(key) ?? next.get(key);
      if (parsed) this.stats.reused++;
      else {
        const result = ResourceEntrySchema.safeParse(entry);
        if (!result.success) return full(); // the error paths of the whole input
        parsed = result.data;
        this.stats.parsed++;
      }
      next.set(key, parsed);
      resources.push(parsed);
    }
    const catalogKey = keys.catalog !== undefined ? `#${keys.catalog}` : JSON.stringify(shared.catalog ?? null);
    let catalog = this.#catalog?.key === catalogKey ? this.#catalog.value : undefined;
    if (!catalog) {
      const result = SharedSchema.shape.catalog.safeParse(shared.catalog);
      if (!result.success) return full();
      catalog = result.data;
    }
    this.#resources = next;
    this.#catalog = { key: catalogKey, value: catalog };
    return { success: true, data: { resources, catalog } } as ReturnType<typeof SharedSchema.safeParse>;
  }
}

/** Compiles proxies against one snapshot of resources and catalog, sharing what they have in common. */
export class MeshCompiler {
  readonly index: MeshIndex;
  readonly #shared: { resources: ResourceEntry[]; catalog: Catalog };
  readonly #raw: SharedCompileInputRaw;
  readonly #keys: SharedContentKeys | undefined;
  readonly #outbound = new Map<string, OutboundPart>();
  #contentHash: string | undefined;
  readonly #relevant = new Map<string, string>();
  /** Compilations done, and outbound parts built for them (the rest were shared). */
  readonly stats = { compiles: 0, outboundParts: 0 };

  /** Throws {@link CompileInputError} when the resources or catalog are malformed (paths as in CompileInputSchema). */
  /**
   * `cache`: parses of the previous snapshot's resources and catalog, reused where their content is unchanged.
   * `keys`: the source's content keys of `shared`, when it has them (see {@link SharedContentKeys}).
   */
  constructor(shared: SharedCompileInputRaw, options: { cache?: SharedParseCache; keys?: SharedContentKeys } = {}) {
    const parsed = options.cache ? options.cache.parse(shared, options.keys) : SharedSchema.safeParse(shared, { reportInput: true });
    if (!parsed.success) throw new CompileInputError(issuesFromZod(parsed.error.issues));
    this.#raw = shared;
    const { resources, catalog } = options.keys ?? {};
    this.#keys = resources?.length === (shared.resources ?? []).length && catalog !== undefined ? { resources, catalog } : undefined;
    this.#shared = parsed.data;
    this.index = new MeshIndex(parsed.data.resources, parsed.data.catalog);
  }

  /** The same as `compileProxyConfig({ ...shared, ...proxy })`. Throws {@link CompileInputError} when the proxy's part is malformed. */
  compile(proxy: ProxyCompileInputRaw): CompileResult {
    const parsed = ProxySchema.safeParse(proxy, { reportInput: true });
    if (!parsed.success) throw new CompileInputError(issuesFromZod(parsed.error.issues));
    const input: CompileInput = { ...this.#shared, ...parsed.data };
    const key = outboundKey(input, resolveEgressScope(this.index, input));
    let outbound = this.#outbound.get(key);
    if (!outbound) {
      const ctx = new CompileContext(input, this.index);
      compileOutbound(ctx);
      outbound = outboundPart(ctx);
      this.#outbound.set(key, outbound);
      this.stats.outboundParts++;
    }
    this.stats.compiles++;
    return compileWorkload(new CompileContext(input, this.index, outbound));
  }

  /**
   * A key of everything this proxy's config is compiled from: equal keys
   * mean an equal result, so a caller that kept the key of the last compile
   * can skip this one. The snapshot's share of it is hashed once.
   */
  inputKey(proxy: ProxyCompileInputRaw): string {
    const own = fnv1a64(canonicalJson(proxy));
    const parsed = ProxySchema.safeParse(proxy);
    const scope = parsed.success ? resolveEgressScope(this.index, parsed.data) : undefined;
    if (!parsed.success || !scope) {
      // The source's content keys stand for the content when it has them (equal keys, equal content).
      this.#contentHash ??= fnv1a64(this.#keys ? JSON.stringify(this.#keys) : canonicalJson(this.#raw));
      return `${this.#contentHash}:${own}`;
    }
    // Scoped: only what the scope can see counts, so a change elsewhere keeps the key (and the config).
    const relevantKey = JSON.stringify([scope.key, parsed.data.workload.namespace, parsed.data.workload.service]);
    let relevant = this.#relevant.get(relevantKey);
    if (relevant === undefined) this.#relevant.set(relevantKey, (relevant = fnv1a64(relevantContent(this.index, scope, parsed.data))));
    return `s${relevant}:${own}`;
  }
}

/**
 * Where a caller sits, as far as the outbound part can tell: the namespace
 * (short host names, consumer routes), cluster and zone (cluster-scoped rules,
 * locality preferences), whether it has an identity and in which trust
 * domain (mTLS to backends, east-west gateways), the certificates the agent
 * resolved (ExternalService TLS) and its egress scope (Sidecar).
 */
function outboundKey(input: CompileInput, scope: EgressScope | undefined): string {
  const { workload, options } = input;
  return JSON.stringify([workload.namespace, workload.cluster, workload.zone ?? null, options.identity ? options.identity.trustDomain : null, canonicalJson(options.certificates), scope?.key ?? null]);
}
