// The demo application: a small shop in two clusters. Pure: ports and the
// universal files the agents read, from one port base.
//
//   loadgen ──▶ frontend ──▶ catalog (v1, v2 in east; v1 in west) ──▶ inventory
//                  └──────▶ reviews (west only)
//
// Every caller runs behind a Weft proxy and calls through its outbound
// listener, so every edge is seen (and counted) by the caller's proxy.
// reviews runs only in west: east's frontend reaches it through west's
// east-west gateway, with mTLS from east's proxy to west's (the gateway only
// routes on the TLS server name), so the topology has a cross-cluster edge.

export interface DemoInstance {
  cluster: string;
  service: string;
  name: string;
  version: string;
  port: number;
  /** Services it calls on every request (through its proxy). */
  calls: string[];
  /** Fraction of requests it fails with a 500 (a flaky canary makes the charts worth looking at). */
  errorRate: number;
  /** Requests per second it sends (the traffic generator). */
  rps?: number;
  proxy?: { inboundPort: number; outboundPort: number; adminPort: number };
}

export interface DemoCluster {
  name: string;
  agentAdminPort: number;
  /** The cluster's east-west gateway (run by its agent), on loopback. */
  gateway: { port: number; adminPort: number };
  instances: DemoInstance[];
}

export const DEMO_NAMESPACE = "shop";

/**
 * The port every demo service is addressed on, in both clusters (its
 * universal `servicePort`). The clusters share this machine, so their
 * instances listen on different ports; the service port is what makes them
 * one service port across the mesh (routes, policies, the east-west
 * gateways' server names), as it would be in separate clusters.
 */
export const DEMO_SERVICE_PORT = 8080;

type Spec = Omit<DemoInstance, "cluster" | "port" | "proxy"> & { proxied: boolean };

const SHOP: Record<string, Spec[]> = {
  east: [
    { service: "loadgen", name: "loadgen-1", version: "v1", calls: ["frontend"], errorRate: 0, proxied: true },
    { service: "frontend", name: "frontend-1", version: "v1", calls: ["catalog", "reviews"], errorRate: 0, proxied: true },
    { service: "catalog", name: "catalog-v1", version: "v1", calls: ["inventory"], errorRate: 0, proxied: true },
    { service: "catalog", name: "catalog-v2", version: "v2", calls: ["inventory"], errorRate: 0.03, proxied: true },
    { service: "inventory", name: "inventory-1", version: "v1", calls: [], errorRate: 0, proxied: false },
  ],
  west: [
    { service: "loadgen", name: "loadgen-1", version: "v1", calls: ["frontend"], errorRate: 0, proxied: true },
    { service: "frontend", name: "frontend-1", version: "v1", calls: ["catalog", "reviews"], errorRate: 0, proxied: true },
    { service: "catalog", name: "catalog-v1", version: "v1", calls: ["inventory"], errorRate: 0, proxied: true },
    { service: "inventory", name: "inventory-1", version: "v1", calls: [], errorRate: 0.01, proxied: false },
    { service: "reviews", name: "reviews-1", version: "v1", calls: [], errorRate: 0, proxied: true },
  ],
};

/** Both clusters with fixed ports from `base`: cluster c uses base + 100c … base + 100c + 99 (instances from +0, the gateway +90/+91, the agent +99). */
export function demoTopology(base: number, rps: number): DemoCluster[] {
  return Object.entries(SHOP).map(([name, specs], c) => ({
    name,
    agentAdminPort: base + c * 100 + 99,
    gateway: { port: base + c * 100 + 90, adminPort: base + c * 100 + 91 },
    instances: specs.map(({ proxied, ...spec }, i) => {
      const port = base + c * 100 + i * 10;
      return {
        ...spec,
        cluster: name,
        port,
        ...(spec.service === "loadgen" && { rps }),
        ...(proxied && { proxy: { inboundPort: port + 1, outboundPort: port + 2, adminPort: port + 3 } }),
      };
    }),
  }));
}

/**
 * The universal file of one cluster (YAML is a superset of JSON). `gateway`
 * overrides where other clusters reach its east-west gateway and what it
 * binds: the Docker Compose demo runs each cluster in its own container.
 */
export function universalFile(cluster: DemoCluster, gateway: { address: string; bindAddress: string; header: string } = { address: "127.0.0.1", bindAddress: "127.0.0.1", header: `Written by npm start for the demo cluster "${cluster.name}"; rewritten on every start.` }): string {
  const services = [...new Set(cluster.instances.map((i) => i.service))].map((service) => ({
    name: service,
    namespace: DEMO_NAMESPACE,
    protocol: "http",
    instances: cluster.instances
      .filter((i) => i.service === service)
      .map((i) => ({ name: i.name, address: "127.0.0.1", port: i.port, servicePort: DEMO_SERVICE_PORT, version: i.version, serviceAccount: service, zone: `${cluster.name}-1a`, ...(i.proxy && { proxy: i.proxy }) })),
  }));
  // npm start: the gateway is reached and bound on loopback, so the demo never leaves this machine.
  const ewGateway = { address: gateway.address, bindAddress: gateway.bindAddress, port: cluster.gateway.port, adminPort: cluster.gateway.adminPort, zone: `${cluster.name}-1a` };
  return `# ${gateway.header}\n${JSON.stringify({ services, gateway: ewGateway }, null, 2)}\n`;
}
