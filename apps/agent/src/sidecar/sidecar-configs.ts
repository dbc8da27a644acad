// The Kubernetes-mode counterpart of ConfigApplier: instead of pushing to
// proxies it supervises, it compiles each injected sidecar's config on
// demand (the sidecar pulls it), remembers what each sidecar applied or
// refused, and turns that into the cluster's ApplyOutcome for ConfigSync to
// acknowledge. Like ConfigApplier, it compiles with one MeshCompiler per
// (cluster config, catalog): the resources and catalog are parsed once for
// all sidecars, and sidecars that sit alike (namespace, zone, scope) share
// their outbound part. Compiles are cached per sidecar by input key.
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { foldProxyDiagnostics, type ClusterConfig } from "@weft/mesh-model";
import { type compileProxyConfig, type CompileDiagnostic, type CompileResult, MeshCompiler, SharedParseCache, type SharedCompileInputRaw } from "@weft/mesh-model/compiler";
import type { ProxyConfig } from "@weft/mesh-model/proxy-config";
import { EMPTY_SNAPSHOT, type CatalogSnapshot } from "../discovery/catalog.schema.ts";
import { errorMessage, type Logger } from "../logger.ts";
import { inputHash } from "../mesh-config/compile-inputs.ts";
import type { ApplyOutcome, ProxyOutcome } from "../mesh-config/config-applier.ts";
import { hasSidecar, meshedEndpointsFingerprint, podReachableAdmin, sidecarPodOf, sidecarProxyInput, sidecarSharedInput, type SidecarInputSources, type SidecarLayout, type SidecarSvidFiles } from "./sidecar-inputs.ts";

/** The part of a sidecar's request that changes its config. */
export interface SidecarRequestShape {
  svid: SidecarSvidFiles | undefined;
}

export type CompiledSidecar = { ok: true; version: string; config: ProxyConfig; diagnostics?: readonly CompileDiagnostic[] } | { ok: false; reason: string };

interface SidecarState {
  shape: SidecarRequestShape;
  compiled?: { hash: string; result: CompiledSidecar };
  ack?: { version: string; status: "applied" | "rejected"; reason?: string };
  /** The trust bundle and SVID it last said it runs (null: none). */
  identity?: SidecarIdentityReport | null;
}

/** What a sidecar reports it runs. */
export interface SidecarIdentityReport {
  trustBundleFingerprint: string;
  serial?: string | undefined;
}

export interface SidecarConfigsOptions {
  cluster: string;
  logger: Logger;
  /** The pod informer's view. */
  pod: (namespace: string, name: string) => V1Pod | undefined;
  /** The Service informer's view: the Service port each sidecar's app port serves (policies name it). */
  service?: (namespace: string, name: string) => V1Service | undefined;
  /** Every pod the informer holds: the sidecars a trust bundle waits for are the injected, running ones. */
  pods?: () => V1Pod[];
  /** Told every new cluster config (the identity loop follows the mesh's trust from it). */
  onClusterConfig?: (config: ClusterConfig) => void;
  /** A new outcome for the current cluster config (an ack came in, a sidecar went away). */
  onOutcome?: (outcome: ApplyOutcome) => void;
  compile?: typeof compileProxyConfig;
  /** The sidecars' ports (the injected ones when omitted). */
  layout?: SidecarLayout;
}

interface SharedCompiler {
  config: ClusterConfig | undefined;
  snapshot: CatalogSnapshot;
  meshed: string;
  input: SharedCompileInputRaw;
  compiler?: MeshCompiler;
  error?: unknown;
}

export class SidecarConfigs {
  #config: ClusterConfig | undefined;
  #snapshot: CatalogSnapshot = EMPTY_SNAPSHOT;
  #sidecars = new Map<string, SidecarState>();
  #listeners = new Set<() => void>();
  #lastOutcome: string | undefined;
  /** The compiler of the current config and catalog (and which pods carry the sidecar); rebuilt when one changes. */
  #shared: SharedCompiler | undefined;
  /** The last compiler's parsed resources and catalog: a change re-parses only what changed (every entry stays validated). */
  readonly #parses = new SharedParseCache();
  /** `outboundParts`: virtual hosts and backends built; sidecars that sit alike share one. */
  readonly counters = { compiles: 0, compileSkips: 0, acks: 0, rejections: 0, outboundParts: 0 };

  constructor(private readonly options: SidecarConfigsOptions) {}

  get clusterConfig(): ClusterConfig | undefined {
    return this.#config;
  }

  /** ConfigSync's entry point: undefined while some sidecar has not yet answered for this config. */
  async setClusterConfig(config: ClusterConfig): Promise<ApplyOutcome | undefined> {
    this.#config = config;
    this.options.onClusterConfig?.(config);
    this.changed();
    return this.#outcome();
  }

  setCatalog(snapshot: CatalogSnapshot): void {
    this.#snapshot = snapshot;
    this.changed();
  }

  /** Some input changed (config, catalog, identity): waiting sidecars recompute, and the outcome may move. */
  changed(): void {
    for (const pod of this.#sidecars.keys()) {
      const [namespace, name] = pod.split("/") as [string, string];
      if (!this.options.pod(namespace, name)) this.#sidecars.delete(pod);
    }
    for (const l of this.#listeners) l();
    this.#emit();
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The current config of one sidecar; undefined when the pod is unknown (not yet seen by the informer). */
  configFor(namespace: string, name: string, shape: SidecarRequestShape): CompiledSidecar | undefined {
    const raw = this.options.pod(namespace, name);
    if (!raw) return undefined;
    const key = `${namespace}/${name}`;
    const state = this.#sidecars.get(key) ?? { shape };
    state.shape = shape;
    this.#sidecars.set(key, state);
    return this.#compile(key, raw, state);
  }

  /** What a sidecar did with a version it was given. */
  ack(namespace: string, name: string, ack: { version: string; status: "applied" | "rejected"; reason?: string }): void {
    const key = `${namespace}/${name}`;
    const state = this.#sidecars.get(key);
    if (!state) return;
    this.counters.acks++;
    if (ack.status === "rejected") {
      this.counters.rejections++;
      this.options.logger.warn("sidecar refused its config; it keeps the previous one", { pod: key, version: ack.version, reason: ack.reason });
    }
    state.ack = ack;
    this.#emit();
  }

  /** The trust bundle and SVID a sidecar says it runs (with each poll and ack). */
  reportIdentity(namespace: string, name: string, identity: SidecarIdentityReport | null): void {
    const state = this.#sidecars.get(`${namespace}/${name}`);
    if (state) state.identity = identity;
  }

  /**
   * How many sidecars there are and how many run the bundle `fingerprint`.
   * The sidecars are every running pod with an injected sidecar (one that
   * has not asked yet counts, and holds the bundle back) and every sidecar
   * that asked and whose pod still exists.
   */
  bundleCensus(fingerprint: string): { total: number; current: number } {
    const pods = new Set<string>();
    for (const p of this.options.pods?.() ?? []) {
      if (hasSidecar(p) && p.status?.phase === "Running" && !p.metadata?.deletionTimestamp) pods.add(`${p.metadata?.namespace ?? "default"}/${p.metadata?.name ?? ""}`);
    }
    for (const key of this.#sidecars.keys()) {
      const [namespace, name] = key.split("/") as [string, string];
      if (this.options.pod(namespace, name)) pods.add(key);
    }
    let current = 0;
    for (const key of pods) if (this.#sidecars.get(key)?.identity?.trustBundleFingerprint === fingerprint) current++;
    return { total: pods.size, current };
  }

  /** /status: every sidecar that asked, with what it runs. */
  get status(): { pod: string; version: string | null; ack: SidecarState["ack"] | null; svid: boolean; identity: SidecarIdentityReport | null }[] {
    return [...this.#sidecars].map(([pod, s]) => ({
      pod,
      version: s.compiled?.result.ok ? s.compiled.result.version : null,
      ack: s.ack ?? null,
      svid: s.shape.svid !== undefined,
      identity: s.identity ?? null,
    }));
  }

  /** What the compile inputs are built from: the current config and catalog, the informers' views. */
  #sources(): SidecarInputSources {
    return {
      snapshot: this.#snapshot,
      cluster: this.options.cluster,
      config: this.#config,
      podOf: this.options.pod,
      ...(this.options.service && { serviceOf: this.options.service }),
      ...(this.options.layout && { layout: this.options.layout }),
    };
  }

  /** The shared compile input and its MeshCompiler for the current config, catalog and meshed pods (built on first use). */
  #sharedCompiler(): SharedCompiler {
    const config = this.#config;
    const snapshot = this.#snapshot;
    const meshed = meshedEndpointsFingerprint(snapshot, this.options.pod);
    const current = this.#shared;
    if (current && current.config === config && current.snapshot === snapshot && current.meshed === meshed) return current;
    const input = sidecarSharedInput({ ...this.#sources(), snapshot, config });
    const next: SharedCompiler = { config, snapshot, meshed, input };
    if (!this.options.compile)
      try {
        next.compiler = new MeshCompiler(input, { cache: this.#parses, keys: { resources: config?.resourceRevisions } });
      } catch (err) {
        next.error = err;
      }
    this.#shared = next;
    return next;
  }

  #compile(key: string, raw: V1Pod, state: SidecarState): CompiledSidecar {
    const shared = this.#sharedCompiler();
    const proxy = sidecarProxyInput({ ...this.#sources(), pod: sidecarPodOf(raw), svid: state.shape.svid });
    // Equal keys mean an equal config: a scoped sidecar's key covers only what its scope can see.
    const hash = shared.compiler ? shared.compiler.inputKey(proxy) : inputHash({ ...shared.input, ...proxy });
    if (state.compiled?.hash === hash) {
      this.counters.compileSkips++;
      return state.compiled.result;
    }
    this.counters.compiles++;
    let result: CompiledSidecar;
    try {
      const compile = (): CompileResult => {
        if (this.options.compile) return this.options.compile({ ...shared.input, ...proxy });
        if (!shared.compiler) throw shared.error;
        const before = shared.compiler.stats.outboundParts;
        const compiled = shared.compiler.compile(proxy);
        this.counters.outboundParts += shared.compiler.stats.outboundParts - before;
        return compiled;
      };
      const { config, diagnostics } = compile();
      const errors = diagnostics.filter((d) => d.severity === "error");
      if (errors.length > 0) this.options.logger.warn("compile diagnostics", { pod: key, errors: errors.map((d) => `${d.resource ?? ""} ${d.path}: ${d.message}`.trim()) });
      const pod = podReachableAdmin(config, this.options.layout);
      result = { ok: true, version: pod.version, config: pod, diagnostics };
    } catch (err) {
      result = { ok: false, reason: `cannot compile: ${errorMessage(err)}` };
    }
    state.compiled = { hash, result };
    return result;
  }

  /**
   * The outcome for the current cluster config: each sidecar that asked is
   * applied when it acknowledged the version compiled for it now, rejected
   * when it refused that version (or it cannot be compiled), pending
   * otherwise. Reported once nothing is pending, or at once on a refusal.
   */
  #outcome(): ApplyOutcome | undefined {
    const config = this.#config;
    if (!config) return undefined;
    const proxies: ProxyOutcome[] = [];
    const reports: { proxy: string; diagnostics: readonly CompileDiagnostic[] }[] = [];
    let pending = false;
    for (const [key, state] of [...this.#sidecars].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [namespace, name] = key.split("/") as [string, string];
      const raw = this.options.pod(namespace, name);
      if (!raw) continue;
      const current = this.#compile(key, raw, state);
      if (current.ok && current.diagnostics) reports.push({ proxy: key, diagnostics: current.diagnostics });
      if (!current.ok) proxies.push({ proxy: key, status: "rejected", reason: current.reason });
      else if (state.ack?.version === current.version) proxies.push({ proxy: key, status: state.ack.status, version: current.version, ...(state.ack.reason !== undefined && { reason: state.ack.reason }) });
      else pending = true;
    }
    const rejected = proxies.filter((p) => p.status === "rejected");
    if (pending && rejected.length === 0) return undefined;
    const diagnostics = foldProxyDiagnostics(reports);
    return {
      configVersion: config.configVersion,
      status: rejected.length > 0 ? "rejected" : "applied",
      ...(rejected.length > 0 && { reason: rejected.map((p) => `sidecar ${p.proxy} refused: ${p.reason ?? "no reason given"}`).join("; ").slice(0, 4000) }),
      proxies,
      ...(diagnostics.length > 0 && { diagnostics }),
    };
  }

  #emit(): void {
    const outcome = this.#outcome();
    if (!outcome) return;
    const key = JSON.stringify(outcome);
    if (key === this.#lastOutcome) return;
    this.#lastOutcome = key;
    this.options.onOutcome?.(outcome);
  }
}
