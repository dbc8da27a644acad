// The proxy's listeners: the outbound listener the app calls through, one
// per-upstream loopback port per `options.localPorts` entry (HTTP bound to its
// virtual host, TCP passthrough), an inbound listener per app port, and admin.
import type { Listener } from "../proxy-config/proxy-listeners.schema.ts";
import { type BackendCompiler, backendPolicy } from "./compile-backends.ts";
import type { CompileContext } from "./compile-context.ts";
import type { RouteCompiler } from "./compile-routes.ts";
import { isHttpFamily, serviceKey } from "./service-catalog.ts";

/** The listeners of the workload, in a stable order; backends of TCP ports go into the context. */
export function compileListeners(ctx: CompileContext, backends: BackendCompiler, routes: RouteCompiler): Listener[] {
  const { options } = ctx.input;
  const listeners: Listener[] = [{ kind: "outbound", name: "outbound", address: options.outboundAddress, port: options.outboundPort, http2: true }];
  listeners.push(...localPortListeners(ctx, backends, routes));
  listeners.push(...inboundListeners(ctx));
  listeners.push({ kind: "admin", name: "admin", address: "127.0.0.1", port: options.adminPort });
  return listeners;
}

function localPortListeners(ctx: CompileContext, backends: BackendCompiler, routes: RouteCompiler): Listener[] {
  const { options, workload } = ctx.input;
  const listeners: Listener[] = [];
  // By local port, so the listener order does not depend on the order the agent listed them in.
  const locals = options.localPorts.map((local, index) => ({ local, index })).sort((a, b) => a.local.localPort - b.local.localPort || a.index - b.index);
  for (const { local, index } of locals) {
    const path = `options.localPorts[${index}]`;
    const namespace = local.namespace ?? workload.namespace;
    const service = ctx.services.get(serviceKey(local.service, namespace));
    const port = service?.ports.find((p) => p.port === local.port);
    if (!service || !port) {
      ctx.sink.add({ severity: "error", code: "unknown_backend", path, message: `${namespace}/${local.service} port ${local.port} is not in the catalog; no listener` });
      continue;
    }
    const name = `local-${local.localPort}-${service.name}-${service.namespace}`.slice(0, 253).replace(/-+$/, "");
    if (isHttpFamily(port.protocol)) {
      if (port !== service.primary) {
        ctx.sink.add({ severity: "warning", code: "unsupported_port", path, message: `only the primary port (${service.primary?.port}) of ${namespace}/${local.service} has a virtual host; no listener` });
        continue;
      }
      listeners.push({ kind: "outbound", name, address: options.outboundAddress, port: local.localPort, http2: true, virtualHost: routes.hostName(service) });
    } else {
      listeners.push({ kind: "tcp", name, address: options.outboundAddress, port: local.localPort, backend: backends.serviceBackend(service, port, undefined) });
    }
  }
  return listeners;
}

function inboundListeners(ctx: CompileContext): Listener[] {
  const { options, workload } = ctx.input;
  const listeners: Listener[] = [];
  workload.appPorts.forEach((app, i) => {
    const listenPort = app.inboundPort ?? (i === 0 ? options.inboundPort : undefined);
    if (listenPort === undefined) {
      ctx.sink.add({ severity: "error", code: "missing_inbound_port", path: `workload.appPorts[${i}].inboundPort`, message: `app port ${app.port} needs an inboundPort (only the first app port uses options.inboundPort); no listener` });
      return;
    }
    const name = i === 0 ? "inbound" : `inbound-${app.port}`;
    if (app.protocol === "TCP") {
      const backend = `inbound:${app.port}`;
      ctx.backends.set(backend, {
        name: backend,
        service: workload.service,
        namespace: workload.namespace,
        ...(workload.version !== undefined ? { version: workload.version } : {}),
        endpoints: [{ address: options.appAddress, port: app.port, health: "healthy", locality: {}, weight: 1 }],
        protocol: "http1",
        loadBalancer: { algorithm: "round-robin" },
        policy: { ...backendPolicy(ctx.policies.resolve({ service: workload.service, namespace: workload.namespace, port: app.servicePort ?? app.port })), localityFailover: false },
      });
      listeners.push({ kind: "tcp", name, address: options.inboundAddress, port: listenPort, backend });
      return;
    }
    listeners.push({
      kind: "inbound",
      name,
      address: options.inboundAddress,
      port: listenPort,
      http2: true,
      app: { address: options.appAddress, port: app.port, protocol: app.protocol === "HTTP" ? "http1" : "http2" },
    });
  });
  return listeners;
}
