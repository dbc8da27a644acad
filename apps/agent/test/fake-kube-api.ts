// A Kubernetes API server stand-in for tests: list and watch over plain HTTP
// on loopback, with the semantics the client relies on — resourceVersion,
// watch history, BOOKMARK events (only when asked with allowWatchBookmarks),
// and 410 Gone "Expired" for a resourceVersion older than the retained history.
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
}

interface Collection {
  path: string;
  kind: string;
  apiVersion: string;
  namespaced: boolean;
}

export const COLLECTIONS = {
  namespaces: { path: "/api/v1/namespaces", kind: "Namespace", apiVersion: "v1", namespaced: false },
  services: { path: "/api/v1/services", kind: "Service", apiVersion: "v1", namespaced: true },
  pods: { path: "/api/v1/pods", kind: "Pod", apiVersion: "v1", namespaced: true },
  endpointSlices: { path: "/apis/discovery.k8s.io/v1/endpointslices", kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", namespaced: true },
} satisfies Record<string, Collection>;
export type CollectionName = keyof typeof COLLECTIONS;

type EventType = "ADDED" | "MODIFIED" | "DELETED";
interface StoredEvent {
  rv: number;
  type: EventType;
  object: KubeObject;
}

export interface RecordedRequest {
  collection: CollectionName;
  watch: boolean;
  resourceVersion?: string;
  allowWatchBookmarks?: string;
  status: number;
}

/** A service-account token the fake API server accepts in TokenReviews. */
export interface FakeToken {
  namespace: string;
  serviceAccount: string;
  /** The pod a projected token is bound to. */
  pod?: string;
  podUid?: string;
  audiences: string[];
}

const TOKEN_REVIEWS = "/apis/authentication.k8s.io/v1/tokenreviews";

interface Watcher {
  collection: CollectionName;
  res: ServerResponse;
  bookmarks: boolean;
}

export class FakeKubeApi {
  readonly requests: RecordedRequest[] = [];
  #server: Server;
  #rv = 100;
  #objects = new Map<CollectionName, Map<string, KubeObject>>();
  #history = new Map<CollectionName, StoredEvent[]>();
  /** Watches from a resourceVersion below this answer 410 Expired (etcd compaction). */
  #oldestRv = 0;
  #watchers = new Set<Watcher>();
  #failures: { collection: CollectionName; watch: boolean; status: number }[] = [];
  #tokens = new Map<string, FakeToken>();
  /** TokenReviews answered, in order (the tokens themselves are not kept). */
  readonly tokenReviews: { authenticated: boolean }[] = [];
  /** How 410 is delivered: an ERROR event in a 200 stream (what the API server does) or an HTTP 410 status. */
  goneAs: "event" | "status" = "event";

  private constructor() {
    for (const name of Object.keys(COLLECTIONS) as CollectionName[]) {
      this.#objects.set(name, new Map());
      this.#history.set(name, []);
    }
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(): Promise<FakeKubeApi> {
    const api = new FakeKubeApi();
    await new Promise<void>((resolve) => api.#server.listen(0, "127.0.0.1", resolve));
    return api;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  get resourceVersion(): string {
    return String(this.#rv);
  }

  /** Creates or replaces an object; watchers see ADDED or MODIFIED. With `silently`, watchers miss it (as if the event was compacted away). */
  apply(collection: CollectionName, object: KubeObject, options: { silently?: boolean } = {}): KubeObject {
    const key = this.#key(collection, object);
    const type: EventType = this.#objects.get(collection)!.has(key) ? "MODIFIED" : "ADDED";
    const c = COLLECTIONS[collection];
    const stored: KubeObject = { apiVersion: c.apiVersion, kind: c.kind, ...structuredClone(object), metadata: { ...structuredClone(object.metadata), resourceVersion: String(++this.#rv) } };
    this.#objects.get(collection)!.set(key, stored);
    this.#record(collection, type, stored, options.silently);
    return stored;
  }

  delete(collection: CollectionName, name: string, namespace?: string, options: { silently?: boolean } = {}): void {
    const key = namespace ? `${namespace}/${name}` : name;
    const existing = this.#objects.get(collection)!.get(key);
    if (!existing) throw new Error(`${collection} ${key} does not exist`);
    this.#objects.get(collection)!.delete(key);
    this.#record(collection, "DELETED", { ...existing, metadata: { ...existing.metadata, resourceVersion: String(++this.#rv) } }, options.silently);
  }

  /** Mints a token TokenReviews accept, as the kubelet's projected volume would get one. */
  issueToken(token: FakeToken): string {
    const value = randomBytes(24).toString("base64url");
    this.#tokens.set(value, token);
    return value;
  }

  /** Invalidates a token (its pod was deleted, it expired). */
  revokeToken(value: string): void {
    this.#tokens.delete(value);
  }

  /** Sends a BOOKMARK with the current resourceVersion to the watchers that asked for bookmarks; returns that version. */
  bookmark(collection: CollectionName): string {
    const c = COLLECTIONS[collection];
    const rv = String(++this.#rv);
    for (const w of this.#watchers) {
      if (w.collection === collection && w.bookmarks) this.#send(w.res, { type: "BOOKMARK", object: { kind: c.kind, apiVersion: c.apiVersion, metadata: { resourceVersion: rv } } });
    }
    return rv;
  }

  /** Forgets the watch history: a watch from any older resourceVersion gets 410 Gone. */
  compact(): void {
    this.#oldestRv = this.#rv;
    for (const h of this.#history.values()) h.length = 0;
  }

  /** Ends every open watch stream, as the API server does at its watch timeout. */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** The next request of that kind (list or watch) of `collection` answers `status`. */
  failNext(collection: CollectionName, watch: boolean, status = 500): void {
    this.#failures.push({ collection, watch, status });
  }

  watcherCount(collection?: CollectionName): number {
    return [...this.#watchers].filter((w) => collection === undefined || w.collection === collection).length;
  }

  requestsFor(collection: CollectionName): RecordedRequest[] {
    return this.requests.filter((r) => r.collection === collection);
  }

  async close(): Promise<void> {
    this.endWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #key(collection: CollectionName, object: KubeObject): string {
    return COLLECTIONS[collection].namespaced ? `${object.metadata.namespace ?? "default"}/${object.metadata.name}` : object.metadata.name;
  }

  #record(collection: CollectionName, type: EventType, object: KubeObject, silently = false): void {
    const event = { rv: this.#rv, type, object: structuredClone(object) };
    if (silently) return;
    this.#history.get(collection)!.push(event);
    for (const w of this.#watchers) if (w.collection === collection) this.#send(w.res, { type, object: event.object });
  }

  #send(res: ServerResponse, event: unknown): void {
    res.write(`${JSON.stringify(event)}\n`);
  }

  #status(res: ServerResponse, code: number, reason: string, message: string): void {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
  }

  /** authentication.k8s.io/v1 TokenReview, answered as the API server does for bound service-account tokens. */
  #tokenReview(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { apiVersion?: string; kind?: string; spec?: { token?: string; audiences?: string[] } };
      if (review.apiVersion !== "authentication.k8s.io/v1" || review.kind !== "TokenReview") {
        this.#status(res, 400, "BadRequest", "expected an authentication.k8s.io/v1 TokenReview");
        return;
      }
      const token = this.#tokens.get(review.spec?.token ?? "");
      const wanted = review.spec?.audiences ?? [];
      const audiences = token ? (wanted.length === 0 ? token.audiences : wanted.filter((a) => token.audiences.includes(a))) : [];
      const authenticated = token !== undefined && audiences.length > 0;
      this.tokenReviews.push({ authenticated });
      const status = authenticated
        ? {
            authenticated: true,
            audiences,
            user: {
              username: `system:serviceaccount:${token.namespace}:${token.serviceAccount}`,
              uid: "sa-uid",
              groups: ["system:serviceaccounts", `system:serviceaccounts:${token.namespace}`, "system:authenticated"],
              ...(token.pod !== undefined && {
                extra: { "authentication.kubernetes.io/pod-name": [token.pod], ...(token.podUid !== undefined && { "authentication.kubernetes.io/pod-uid": [token.podUid] }) },
              }),
            },
          }
        : { authenticated: false, error: token ? "token audiences are invalid for the target audiences" : "invalid bearer token" };
      res.writeHead(201, { "content-type": "application/json" });
      res.end(JSON.stringify({ apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", metadata: { creationTimestamp: null }, spec: review.spec, status }));
    });
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "POST" && url.pathname === TOKEN_REVIEWS) {
      this.#tokenReview(req, res);
      return;
    }
    const collection = (Object.keys(COLLECTIONS) as CollectionName[]).find((k) => COLLECTIONS[k].path === url.pathname);
    if (req.method !== "GET" || collection === undefined) {
      this.#status(res, 404, "NotFound", `${req.method} ${url.pathname} is not served by the fake API`);
      return;
    }
    const watch = url.searchParams.get("watch") === "true";
    const rvParam = url.searchParams.get("resourceVersion") ?? undefined;
    const record = (status: number) =>
      this.requests.push({
        collection,
        watch,
        status,
        ...(rvParam !== undefined && { resourceVersion: rvParam }),
        ...(url.searchParams.has("allowWatchBookmarks") && { allowWatchBookmarks: url.searchParams.get("allowWatchBookmarks")! }),
      });

    const failure = this.#failures.findIndex((f) => f.collection === collection && f.watch === watch);
    if (failure >= 0) {
      const { status } = this.#failures.splice(failure, 1)[0]!;
      record(status);
      this.#status(res, status, "InternalError", "injected failure");
      return;
    }
    const c = COLLECTIONS[collection];

    if (!watch) {
      record(200);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: `${c.kind}List`, apiVersion: c.apiVersion, metadata: { resourceVersion: String(this.#rv) }, items: [...this.#objects.get(collection)!.values()] }));
      return;
    }

    // Watch from a version: replay what happened after it, then stream live events.
    const from = rvParam === undefined || rvParam === "" || rvParam === "0" ? this.#rv : Number(rvParam);
    if (from < this.#oldestRv) {
      record(410);
      const message = `too old resource version: ${from} (${this.#oldestRv})`;
      if (this.goneAs === "status") {
        this.#status(res, 410, "Expired", message);
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      this.#send(res, { type: "ERROR", object: { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason: "Expired", code: 410 } });
      res.end();
      return;
    }
    record(200);
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked" });
    res.flushHeaders();
    const watcher: Watcher = { collection, res, bookmarks: url.searchParams.get("allowWatchBookmarks") === "true" };
    this.#watchers.add(watcher);
    res.on("close", () => this.#watchers.delete(watcher));
    for (const e of this.#history.get(collection)!) if (e.rv > from) this.#send(res, { type: e.type, object: e.object });
  }
}
