// ExternalServices: one virtual host per non-wildcard host (its first HTTP
// port), and a backend per port and host, with the resource's own upstream
// TLS. A MUTUAL or unresolvable TLS setting fails closed (no endpoints).
import type { ExternalService } from "../external-service/external-service.schema.ts";
import type { Backend, Endpoint } from "../proxy-config/proxy-backends.schema.ts";
import { backendPolicy, loadBalancerFor } from "./compile-backends.ts";
import type { CompileContext, Indexed } from "./compile-context.ts";
import { matchAll, withPolicy } from "./route-mapping.ts";

type ExternalPort = ExternalService["spec"]["ports"][number];

function httpPortOf(es: ExternalService, number: number | undefined): ExternalPort | undefined {
  const http = es.spec.ports.filter((p) => p.protocol === "HTTP" || p.protocol === "HTTP2" || p.protocol === "GRPC").sort((a, b) => a.number - b.number);
  return number === undefined ? http[0] : http.find((p) => p.number === number);
}

/** Compiles ExternalServices into the context's virtual hosts and backends. */
export class ExternalServiceCompiler {
  constructor(private readonly ctx: CompileContext) {}

  /** The virtual hosts of one ExternalService. */
  compile(es: Indexed<"ExternalService">): void {
    this.ctx.reportUnsupported(es.resource, es.key);
    const port = httpPortOf(es.resource, undefined);
    if (!port) return; // only HTTPS/TLS/TCP ports: reported as unsupported above
    const httpPorts = es.resource.spec.ports.filter((p) => p.protocol === "HTTP" || p.protocol === "HTTP2" || p.protocol === "GRPC");
    if (httpPorts.length > 1)
      this.ctx.sink.add({ severity: "warning", code: "unsupported_port", resource: es.key, path: "spec.ports", message: `only port ${port.number} is routed (virtual hosts are per host, not per port)` });
    es.resource.spec.hosts.forEach((host) => {
      if (host.startsWith("*")) return;
      const backend = this.backend(es, port, host);
      const policy = this.ctx.policies.resolve({ service: es.resource.metadata.name, namespace: es.namespace, port: port.number });
      this.ctx.addVirtualHost(
        {
          name: `external.${es.namespace}.${es.resource.metadata.name}.${host}`,
          domains: [host],
          routes: [{ name: es.resource.metadata.name, namespace: es.namespace, creationTimestamp: es.createdAtText, rules: [withPolicy({ matches: [matchAll()], filters: [], backendRefs: [{ backend, weight: 1 }], timeouts: { grpcTimeoutOffsetMs: 5 } }, policy)] }],
        },
        es.key,
      );
    });
  }

  /** The backend an HTTPRoute backendRef to the ExternalService names (its first non-wildcard host); undefined when it has none to send to. */
  backendFor(es: Indexed<"ExternalService">, portNumber: number | undefined): string | undefined {
    const port = httpPortOf(es.resource, portNumber);
    const host = es.resource.spec.hosts.find((h) => !h.startsWith("*"));
    return port && host ? this.backend(es, port, host) : undefined;
  }

  private backend(es: Indexed<"ExternalService">, port: ExternalPort, host: string): string {
    const name = `external.${es.namespace}.${es.resource.metadata.name}:${port.number}/${host}`;
    if (this.ctx.backends.has(name)) return name;
    const tls = es.resource.spec.tls;
    let failClosed = false;
    let upstreamTls: Backend["tls"];
    if (tls && tls.mode !== "DISABLE") {
      upstreamTls = { serverName: tls.sni ?? host, insecureSkipVerify: false };
      if (tls.mode === "MUTUAL") failClosed = true;
      if (tls.caCertificateRef) {
        const ref = `${tls.caCertificateRef.namespace ?? es.namespace}/${tls.caCertificateRef.name}`;
        const caPem = this.ctx.input.options.certificates[ref]?.caPem;
        if (caPem) upstreamTls.caPem = caPem;
        else {
          failClosed = true;
          this.ctx.sink.add({ severity: "error", code: "unresolved_certificate", resource: es.key, path: "spec.tls.caCertificateRef", message: `certificate ${ref} was not provided (options.certificates); calls fail closed (503)` });
        }
      }
    }
    const policy = this.ctx.policies.resolve({ service: es.resource.metadata.name, namespace: es.namespace, port: port.number });
    const endpoints: Endpoint[] = failClosed ? [] : [{ address: host, port: port.number, health: "healthy", locality: {}, weight: 1 }];
    this.ctx.backends.set(name, {
      name,
      service: es.resource.metadata.name,
      namespace: es.namespace,
      endpoints,
      protocol: port.protocol === "HTTP" ? "http1" : "http2",
      ...(upstreamTls ? { tls: upstreamTls } : {}),
      loadBalancer: loadBalancerFor(policy, endpoints),
      // External hosts have no locality.
      policy: { ...backendPolicy(policy), localityFailover: false },
    });
    return name;
  }
}
