import { once } from "node:events";
import type { AddressInfo } from "node:net";
import tls from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SvidValidation } from "./svid-validation.ts";
import { meshFixture, type MeshFixture } from "./testing/pki-fixtures.ts";
import { spiffeServerIdentityCheck, verifyTlsPeer } from "./tls-peer.ts";
import { serializeTrustBundle } from "./trust-bundle.ts";
import { issueWorkloadSvid, svidTlsCredentials, type WorkloadSvid } from "./workload-svid.ts";

const serverId = "spiffe://mesh.test/ns/shop/sa/api";
const clientId = "spiffe://mesh.test/ns/shop/sa/web";

interface ServerOptions {
  svid: WorkloadSvid;
  mesh: MeshFixture;
  /** false: trust only the SPIFFE hook (OpenSSL accepts any client certificate). */
  openSslVerifies: boolean;
}

const servers: tls.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** An mTLS echo server that greets the authenticated peer by SPIFFE ID; records every verdict. */
async function startServer({ svid, mesh, openSslVerifies }: ServerOptions) {
  const verdicts: SvidValidation[] = [];
  const server = tls.createServer({
    ...svidTlsCredentials(svid),
    ca: serializeTrustBundle(mesh.bundle),
    requestCert: true,
    rejectUnauthorized: openSslVerifies,
    minVersion: "TLSv1.2",
  });
  server.on("secureConnection", (socket) => {
    const verdict = verifyTlsPeer(socket, { bundle: () => mesh.bundle, purpose: "client" });
    verdicts.push(verdict);
    if (!verdict.ok) {
      socket.destroy();
      return;
    }
    socket.end(`hello ${verdict.spiffeId}`);
  });
  server.on("tlsClientError", () => {});
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  servers.push(server);
  return { port: (server.address() as AddressInfo).port, verdicts };
}

interface Outcome {
  data: string;
  error?: NodeJS.ErrnoException;
  serverVerdict?: SvidValidation;
}

/** Connects with `svid`, validating the server with the SPIFFE hooks, and collects what the client saw. */
function connect(port: number, svid: WorkloadSvid, mesh: MeshFixture, options: { expect?: string[]; openSslVerifies?: boolean } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    let data = "";
    let serverVerdict: SvidValidation | undefined;
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ...svidTlsCredentials(svid),
      ca: serializeTrustBundle(mesh.bundle),
      rejectUnauthorized: options.openSslVerifies ?? true,
      checkServerIdentity: spiffeServerIdentityCheck({ bundle: mesh.bundle, ...(options.expect ? { expect: options.expect } : {}) }),
    });
    socket.on("secureConnect", () => {
      serverVerdict = verifyTlsPeer(socket, { bundle: mesh.bundle, purpose: "server", ...(options.expect ? { expect: options.expect } : {}) });
      if (!serverVerdict.ok) socket.destroy();
    });
    socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
    socket.on("error", (error) => resolve({ data, error, ...(serverVerdict ? { serverVerdict } : {}) }));
    socket.on("close", () => resolve({ data, ...(serverVerdict ? { serverVerdict } : {}) }));
  });
}

describe("mTLS on loopback with X.509-SVIDs", () => {
  let mesh: MeshFixture;
  let foreign: MeshFixture;
  let serverSvid: WorkloadSvid;
  let clientSvid: WorkloadSvid;
  let foreignSvid: WorkloadSvid;
  beforeAll(async () => {
    [mesh, foreign] = await Promise.all([meshFixture("mesh.test", "eu-1"), meshFixture("mesh.test", "eu-1")]);
    [serverSvid, clientSvid, foreignSvid] = await Promise.all([
      issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: serverId }),
      issueWorkloadSvid({ intermediate: mesh.intermediate, spiffeId: clientId }),
      issueWorkloadSvid({ intermediate: foreign.intermediate, spiffeId: clientId }),
    ]);
  });

  it("authenticates both sides by SPIFFE ID", async () => {
    const { port, verdicts } = await startServer({ svid: serverSvid, mesh, openSslVerifies: true });
    const outcome = await connect(port, clientSvid, mesh, { expect: [serverId] });
    expect(outcome.error).toBeUndefined();
    expect(outcome.data).toBe(`hello ${clientId}`);
    expect(outcome.serverVerdict).toMatchObject({ ok: true, spiffeId: serverId });
    expect(verdicts).toEqual([expect.objectContaining({ ok: true, spiffeId: clientId })]);
  });

  it.each([true, false])("refuses a client from a foreign root (OpenSSL verifying too: %s)", async (openSslVerifies) => {
    const { port, verdicts } = await startServer({ svid: serverSvid, mesh, openSslVerifies });
    const outcome = await connect(port, foreignSvid, mesh);
    expect(outcome.data).toBe("");
    if (openSslVerifies) {
      // OpenSSL already fails the handshake; the hook never sees the peer.
      expect(verdicts).toEqual([]);
    } else {
      expect(verdicts).toEqual([expect.objectContaining({ ok: false, code: "untrusted" })]);
    }
  });

  it("refuses a server whose SPIFFE ID is not the expected one", async () => {
    const { port, verdicts } = await startServer({ svid: serverSvid, mesh, openSslVerifies: true });
    const outcome = await connect(port, clientSvid, mesh, { expect: ["spiffe://mesh.test/ns/shop/sa/payments"] });
    expect(outcome.data).toBe("");
    expect(outcome.error).toMatchObject({ name: "PeerIdentityError", code: "untrusted" });
    expect(outcome.error?.message).toContain(serverId);
    expect(verdicts.every((v) => v.ok)).toBe(true);
  });

  it("refuses a server from a foreign root with only the SPIFFE hook verifying", async () => {
    const foreignServer = await issueWorkloadSvid({ intermediate: foreign.intermediate, spiffeId: serverId });
    const { port } = await startServer({ svid: foreignServer, mesh: foreign, openSslVerifies: false });
    const outcome = await connect(port, clientSvid, mesh, { openSslVerifies: false });
    expect(outcome.data).toBe("");
    expect(outcome.serverVerdict).toMatchObject({ ok: false, code: "untrusted" });
  });
});
