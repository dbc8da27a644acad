// One proxy's real compile against catalogs of growing size: how the agent's
// per-proxy cost grows with the services in the mesh (docs/scaling.md).
//
//   npm run bench:compile-size -w @weft/agent      (BENCH_SIZES=20,250,1000,4000,10000, BENCH_RUNS=5)
//
// The catalog is local services (one instance each, one of them proxied), built
// with the agent's own compileInputs; no manager, no resources.
import { loadavg } from "node:os";
import { compileProxyConfig } from "@weft/mesh-model/compiler";
import { compileInputs } from "../../apps/agent/src/mesh-config/compile-inputs.ts";
import type { UniversalFile } from "../../apps/agent/src/universal/universal-file.schema.ts";

const SIZES = (process.env.BENCH_SIZES ?? "20,50,250,1000,2000,4000,10000").split(",").map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const catalog = (services: number): UniversalFile => ({
  services: Array.from({ length: services }, (_, s) => ({
    name: `svc-${s}`,
    namespace: "bench",
    protocol: "http" as const,
    labels: {},
    instances: [
      {
        name: `svc-${s}-1`,
        address: `10.${Math.floor(s / 62500)}.${Math.floor(s / 250) % 250}.${(s % 250) + 1}`,
        port: 8080,
        version: "v1",
        serviceAccount: `svc-${s}`,
        ready: true,
        labels: {},
        ...(s === 0 && { proxy: { inboundPort: 15006, outboundPort: 15001, adminPort: 15000, inboundAddress: "10.0.0.1", localPorts: [] } }),
      },
    ],
  })),
});

console.log(`load average (1 / 5 / 15 min): ${loadavg().map((l) => l.toFixed(1)).join(" / ")}`);
console.log("| services | compile p50 | min | max | per service (p50) |");
console.log("|---|---|---|---|---|");
for (const size of SIZES) {
  const input = [...compileInputs(catalog(size), "bench", undefined).values()][0]!;
  compileProxyConfig(input); // warm-up: the first compile of a run pays for the JIT
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    compileProxyConfig(input);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  const p50 = ms[Math.floor((ms.length - 1) / 2)]!;
  console.log(`| ${size} | ${p50.toFixed(0)} ms | ${ms[0]!.toFixed(0)} ms | ${ms.at(-1)!.toFixed(0)} ms | ${((p50 / size) * 1000).toFixed(0)} µs |`);
}
