// The benchmark's PKI: one mesh root, one cluster intermediate and two
// workload SVIDs issued by @weft/identity as the manager and agent do, as
// inline Weft identity sections and as PEM files for HAProxy.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { clusterAuthority, createIntermediateCsr, generateMeshRoot, issueWorkloadSvid, signIntermediate, svidTlsCredentials } from "../../packages/identity/src/index.ts";

export const TRUST_DOMAIN = "bench.local";
export const CLIENT_ID = `spiffe://${TRUST_DOMAIN}/ns/bench/sa/client`;
export const SERVER_ID = `spiffe://${TRUST_DOMAIN}/ns/bench/sa/server`;

export interface BenchPki {
  rootPem: string;
  client: { cert: string; key: string };
  server: { cert: string; key: string };
  /** HAProxy's files: the CA, and chain + key in one PEM per side. */
  files: { ca: string; client: string; server: string };
}

export async function benchPki(dir: string): Promise<BenchPki> {
  const root = await generateMeshRoot({ trustDomain: TRUST_DOMAIN });
  const csr = await createIntermediateCsr({ cluster: "bench", trustDomain: TRUST_DOMAIN });
  const issued = await signIntermediate(csr.csrPem, { root, cluster: "bench", trustDomain: TRUST_DOMAIN });
  const intermediate = clusterAuthority({ issued, key: csr.key, trustDomain: TRUST_DOMAIN });
  const client = svidTlsCredentials(await issueWorkloadSvid({ intermediate, spiffeId: CLIENT_ID }));
  const server = svidTlsCredentials(await issueWorkloadSvid({ intermediate, spiffeId: SERVER_ID }));
  const files = { ca: join(dir, "ca.pem"), client: join(dir, "client.pem"), server: join(dir, "server.pem") };
  await writeFile(files.ca, root.certificatePem);
  await writeFile(files.client, `${client.cert}\n${client.key}`);
  await writeFile(files.server, `${server.cert}\n${server.key}`);
  return { rootPem: root.certificatePem, client, server, files };
}

/** The ProxyConfig identity section for one side. */
export function identitySection(pki: BenchPki, side: "client" | "server") {
  const creds = pki[side];
  return {
    trustDomain: TRUST_DOMAIN,
    svid: { source: "inline" as const, certChainPem: creds.cert, keyPem: creds.key },
    trustBundle: { source: "inline" as const, rootsPem: [pki.rootPem] },
  };
}
