// The ProxyConfig's cross-field checks: what no single area can see on its
// own (names unique, every reference resolves, mTLS has an identity). Each
// adds every problem it finds with its path (Kuma style: collect them all).
import type { z } from "zod";
import type { Backend } from "./proxy-backends.schema.ts";
import type { Listener } from "./proxy-listeners.schema.ts";
import type { VirtualHost } from "./proxy-routes.schema.ts";

/** The parts of a parsed ProxyConfig the checks read. */
export interface CheckedConfig {
  listeners: readonly Listener[];
  virtualHosts: readonly VirtualHost[];
  backends: readonly Backend[];
  identity?: unknown;
  requestAuthentication?: { listeners?: readonly string[] | undefined } | undefined;
  rateLimits?: { listeners?: readonly string[] | undefined } | undefined;
}

type Ctx = z.RefinementCtx;

function issue(ctx: Ctx, path: PropertyKey[], message: string): void {
  ctx.addIssue({ code: "custom", path, message });
}

/** Listener, virtual host and backend names are each unique. */
export function checkUniqueNames(config: CheckedConfig, ctx: Ctx): void {
  const dup = (items: readonly { name: string }[], path: string) => {
    const seen = new Set<string>();
    items.forEach((item, i) => {
      if (seen.has(item.name)) issue(ctx, [path, i, "name"], `duplicate name '${item.name}'`);
      seen.add(item.name);
    });
  };
  dup(config.listeners, "listeners");
  dup(config.virtualHosts, "virtualHosts");
  dup(config.backends, "backends");
}

/** No two listeners bind the same address and (fixed) port. */
export function checkListenerAddresses(config: CheckedConfig, ctx: Ctx): void {
  const bound = new Map<string, number>();
  config.listeners.forEach((l, i) => {
    if (l.port === 0) return;
    const key = `${l.address}:${l.port}`;
    if (bound.has(key)) issue(ctx, ["listeners", i, "port"], `${key} is already used by listeners[${bound.get(key)}]`);
    bound.set(key, i);
  });
}

/** A per-upstream outbound listener names a virtual host that exists; a domain belongs to one virtual host. */
export function checkVirtualHosts(config: CheckedConfig, ctx: Ctx): void {
  const vhostNames = new Set(config.virtualHosts.map((v) => v.name));
  config.listeners.forEach((l, i) => {
    if (l.kind === "outbound" && l.virtualHost !== undefined && !vhostNames.has(l.virtualHost)) issue(ctx, ["listeners", i, "virtualHost"], `unknown virtual host '${l.virtualHost}'`);
  });
  const domains = new Map<string, string>();
  config.virtualHosts.forEach((vh, v) => {
    vh.domains.forEach((d, di) => {
      const owner = domains.get(d);
      if (owner !== undefined && owner !== vh.name) issue(ctx, ["virtualHosts", v, "domains", di], `domain '${d}' is also served by virtual host '${owner}'`);
      domains.set(d, vh.name);
    });
  });
}

/** mTLS listeners and backends need the workload's identity and exclude plain server/upstream TLS. */
export function checkMtlsNeedsIdentity(config: CheckedConfig, ctx: Ctx): void {
  config.listeners.forEach((l, i) => {
    if (l.kind !== "inbound" || l.mtlsMode === undefined || l.mtlsMode === "DISABLE") return;
    if (!config.identity) issue(ctx, ["listeners", i, "mtlsMode"], `mTLS mode ${l.mtlsMode} needs an identity (set identity)`);
    if (l.tls) issue(ctx, ["listeners", i, "tls"], "tls and mtlsMode cannot be combined: mTLS terminates with the workload's SVID");
  });
  config.backends.forEach((b, i) => {
    if (!b.mtls) return;
    if (!config.identity) issue(ctx, ["backends", i, "mtls"], "mTLS origination needs an identity (set identity)");
    if (b.tls) issue(ctx, ["backends", i, "tls"], "tls and mtls cannot be combined");
  });
}

/** Request authentication and rate limits name HTTP listeners that exist. */
export function checkListenerReferences(config: CheckedConfig, ctx: Ctx): void {
  const listenerKinds = new Map(config.listeners.map((l) => [l.name, l.kind]));
  const check = (names: readonly string[] | undefined, path: string) =>
    names?.forEach((name, i) => {
      const kind = listenerKinds.get(name);
      if (kind !== "inbound" && kind !== "outbound") issue(ctx, [path, "listeners", i], kind ? `listener '${name}' is ${kind}, not an HTTP listener` : `unknown listener '${name}'`);
    });
  check(config.requestAuthentication?.listeners, "requestAuthentication");
  check(config.rateLimits?.listeners, "rateLimits");
}

/** TCP listeners, gateway routes, rule backendRefs and mirrors name backends that exist; a gateway pipes TLS untouched, so its backends have none. */
export function checkBackendReferences(config: CheckedConfig, ctx: Ctx): void {
  const backendByName = new Map(config.backends.map((b) => [b.name, b]));
  config.listeners.forEach((l, i) => {
    if (l.kind === "tcp" && !backendByName.has(l.backend)) issue(ctx, ["listeners", i, "backend"], `unknown backend '${l.backend}'`);
  });
  config.listeners.forEach((l, i) => {
    if (l.kind !== "gateway") return;
    const snis = new Map<string, number>();
    l.routes.forEach((route, r) => {
      const at = ["listeners", i, "routes", r];
      const other = snis.get(route.sni);
      if (other !== undefined) issue(ctx, [...at, "sni"], `server name '${route.sni}' is also routed by routes[${other}]`);
      else snis.set(route.sni, r);
      const b = backendByName.get(route.backend);
      if (!b) issue(ctx, [...at, "backend"], `unknown backend '${route.backend}'`);
      else if (b.tls || b.mtls) issue(ctx, [...at, "backend"], `backend '${route.backend}' has tls/mtls, but a gateway pipes the caller's TLS through untouched`);
    });
  });
  config.virtualHosts.forEach((vh, v) =>
    vh.routes.forEach((route, r) =>
      route.rules.forEach((rule, ri) => {
        const at = ["virtualHosts", v, "routes", r, "rules", ri];
        rule.filters.forEach((f, fi) => {
          if (f.type === "RequestMirror" && !backendByName.has(f.requestMirror.backend)) issue(ctx, [...at, "filters", fi, "requestMirror", "backend"], `unknown backend '${f.requestMirror.backend}'`);
        });
        rule.backendRefs.forEach((ref, bi) => {
          if (!backendByName.has(ref.backend)) issue(ctx, [...at, "backendRefs", bi, "backend"], `unknown backend '${ref.backend}'`);
        });
      }),
    ),
  );
}

/** Every cross-field check, in the order their issues are reported. */
export const PROXY_CONFIG_CHECKS = [checkUniqueNames, checkListenerAddresses, checkVirtualHosts, checkMtlsNeedsIdentity, checkListenerReferences, checkBackendReferences] as const;
