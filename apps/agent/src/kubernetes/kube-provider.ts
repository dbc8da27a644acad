// Kubernetes discovery: list-watch informers (the real @kubernetes/client-node
// ListWatch) on Namespaces, Services, EndpointSlices and Pods, folded into the
// catalog for mesh-enabled namespaces.
import {
  CoreV1Api,
  DiscoveryV1Api,
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Namespace,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import type { CatalogSnapshot } from "../discovery/catalog.schema.ts";
import type { DiscoveryProvider, ProviderStatus } from "../discovery/provider.ts";
import { errorMessage, type Logger } from "../logger.ts";
import { DEFAULT_MESH_SELECTOR, kubeToCatalog, type MeshSelector } from "./kube-catalog.ts";

/**
 * The client's Watch with `allowWatchBookmarks=true`: the API server then
 * sends BOOKMARK events, so a re-watch after a quiet period starts from a
 * recent resourceVersion instead of one that may have expired (410 → relist).
 */
class BookmarkingWatch extends Watch {
  override watch(path: string, queryParams: Record<string, string | number | boolean | undefined>, callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void, done: (err: unknown) => void): Promise<AbortController> {
    return super.watch(path, { ...queryParams, allowWatchBookmarks: "true" }, callback, done);
  }
}

export interface KubeProviderOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  mesh?: MeshSelector;
  /** Coalesce bursts of events into one snapshot. */
  debounceMs?: number;
  /** Back-off after a failed list or watch, doubled up to `retryMaxMs`. */
  retryInitialMs?: number;
  retryMaxMs?: number;
}

type Kind = "namespaces" | "services" | "endpointSlices" | "pods";

interface Tracked<T extends KubernetesObject> {
  informer: ListWatch<T>;
  listed: boolean;
  failures: number;
  retry?: NodeJS.Timeout;
}

export class KubernetesProvider implements DiscoveryProvider {
  #informers: { [K in Kind]: Tracked<KubernetesObject> };
  #sink: ((snapshot: CatalogSnapshot) => void) | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #status: ProviderStatus = { provider: "kubernetes", synced: false };
  #stopped = false;
  readonly #mesh: MeshSelector;

  constructor(private readonly options: KubeProviderOptions) {
    this.#mesh = options.mesh ?? DEFAULT_MESH_SELECTOR;
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const discovery = options.kubeConfig.makeApiClient(DiscoveryV1Api);
    const watch = new BookmarkingWatch(options.kubeConfig);
    const make = <T extends KubernetesObject>(kind: Kind, path: string, list: () => Promise<KubernetesListObject<T>>): Tracked<KubernetesObject> => {
      const tracked = {} as Tracked<KubernetesObject>;
      // autoStart=false: start() decides when, and retries decide when again.
      tracked.informer = new ListWatch<T>(path, watch, async () => {
        const result = await list();
        tracked.listed = true;
        tracked.failures = 0;
        return result;
      }, false) as unknown as ListWatch<KubernetesObject>;
      tracked.listed = false;
      tracked.failures = 0;
      for (const verb of ["add", "update", "delete"] as const) tracked.informer.on(verb, () => this.#changed());
      tracked.informer.on("error", (err: unknown) => this.#failed(kind, tracked, err));
      return tracked;
    };
    this.#informers = {
      namespaces: make<V1Namespace>("namespaces", "/api/v1/namespaces", () => core.listNamespace()),
      services: make<V1Service>("services", "/api/v1/services", () => core.listServiceForAllNamespaces()),
      endpointSlices: make<V1EndpointSlice>("endpointSlices", "/apis/discovery.k8s.io/v1/endpointslices", () => discovery.listEndpointSliceForAllNamespaces()),
      pods: make<V1Pod>("pods", "/api/v1/pods", () => core.listPodForAllNamespaces()),
    };
  }

  /** Resolves once every informer has listed (or failed and is retrying). */
  async start(sink: (snapshot: CatalogSnapshot) => void): Promise<void> {
    this.#sink = sink;
    this.#stopped = false;
    await Promise.all(Object.values(this.#informers).map((t) => t.informer.start()));
    this.#emit();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#debounce);
    for (const t of Object.values(this.#informers)) {
      clearTimeout(t.retry);
      await t.informer.stop();
    }
  }

  status(): ProviderStatus {
    return { ...this.#status };
  }

  /** Whether a namespace carries the mesh label; `undefined` while the namespace is unknown. */
  isMeshNamespace(name: string): boolean | undefined {
    const ns = this.#informers.namespaces.informer.get(name);
    return ns === undefined ? undefined : ns.metadata?.labels?.[this.#mesh.label] === this.#mesh.value;
  }

  /** A pod as the informer holds it (any namespace); undefined when unknown. */
  pod(namespace: string, name: string): V1Pod | undefined {
    return this.#informers.pods.informer.get(name, namespace) as V1Pod | undefined;
  }

  /** A Service as the informer holds it (any namespace); undefined when unknown. */
  service(namespace: string, name: string): V1Service | undefined {
    return this.#informers.services.informer.get(name, namespace) as V1Service | undefined;
  }

  /** Every pod the informer holds (any namespace). */
  pods(): V1Pod[] {
    return this.#informers.pods.informer.list() as V1Pod[];
  }

  /** The resourceVersion each informer would resume from. */
  resourceVersions(): Record<Kind, string> {
    return Object.fromEntries(Object.entries(this.#informers).map(([k, t]) => [k, t.informer.latestResourceVersion()])) as Record<Kind, string>;
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#emit(), this.options.debounceMs ?? 50);
  }

  #emit(): void {
    // A partial view (say, Services listed but not yet their EndpointSlices)
    // would report endpoints as removed: wait until every informer has listed once.
    if (this.#stopped || !Object.values(this.#informers).every((t) => t.listed)) return;
    const list = <T>(k: Kind) => this.#informers[k].informer.list() as unknown as readonly T[];
    const snapshot = kubeToCatalog(
      { namespaces: list<V1Namespace>("namespaces"), services: list<V1Service>("services"), endpointSlices: list<V1EndpointSlice>("endpointSlices"), pods: list<V1Pod>("pods") },
      this.#mesh,
    );
    if (!this.#status.synced) this.options.logger.info("kubernetes discovery synced", { services: snapshot.services.length, endpoints: snapshot.endpoints.length });
    this.#status = { provider: "kubernetes", synced: true, lastUpdateAt: new Date().toISOString(), ...(this.#status.lastError && { lastError: this.#status.lastError }) };
    this.#sink?.(snapshot);
  }

  // ListWatch stops on any error but 410 (which it handles by relisting);
  // restarting it resumes the watch from its last resourceVersion, and a
  // version the server no longer has turns into a 410 and a relist.
  #failed(kind: Kind, tracked: Tracked<KubernetesObject>, err: unknown): void {
    if (this.#stopped) return;
    tracked.failures += 1;
    const initial = this.options.retryInitialMs ?? 500;
    const delay = Math.min(this.options.retryMaxMs ?? 30_000, initial * 2 ** (tracked.failures - 1));
    this.#status.lastError = `${kind}: ${errorMessage(err)}`;
    this.options.logger.warn("kubernetes watch failed; resyncing", { kind, error: errorMessage(err), retryInMs: delay, failures: tracked.failures });
    clearTimeout(tracked.retry);
    tracked.retry = setTimeout(() => {
      if (this.#stopped) return;
      const before = tracked.failures;
      void tracked.informer.start().then(() => {
        // start() resolves on failure too; a failure during it bumped the count.
        if (tracked.failures <= before) this.#recovered(kind, tracked);
      });
    }, delay);
  }

  #recovered(kind: Kind, tracked: Tracked<KubernetesObject>): void {
    tracked.failures = 0;
    if (this.#status.lastError?.startsWith(`${kind}:`)) {
      this.#status.lastError = undefined;
      this.options.logger.info("kubernetes watch recovered", { kind });
    }
    this.#changed();
  }
}
