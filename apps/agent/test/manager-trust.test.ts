// The agent verifies the manager's certificate: against a CA bundle
// (--manager-ca) or a public-key pin (--manager-pin), and refuses a manager
// presenting anything else before sending a join token or credential. A real
// manager process serves https with a certificate made by openssl.
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryLogger } from "../src/logger.ts";
import { obtainCredentials } from "../src/manager-link/credentials.ts";
import { createManagerClient } from "../src/manager-link/manager-client.ts";
import { managerFetch, publicKeyPin, type ManagerTrust } from "../src/manager-link/manager-trust.ts";
import { adminClient, removeHome, startManager, type ManagerProcess } from "./manager-process.ts";

/** A self-signed P-256 certificate for 127.0.0.1 (its own CA). */
function selfSigned(dir: string, name: string): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", `/CN=${name}`, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
  return { certFile, keyFile };
}

describe("the agent verifies the manager's certificate", { timeout: 120_000 }, () => {
  let dir: string;
  let manager: ManagerProcess;
  let rightPem: string;
  let wrongPem: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "weft-manager-trust-"));
    const right = selfSigned(dir, "weft-manager");
    const wrong = selfSigned(dir, "impostor");
    [rightPem, wrongPem] = [await readFile(right.certFile, "utf8"), await readFile(wrong.certFile, "utf8")];
    manager = await startManager({ tls: { ...right, caPem: rightPem } });
    const admin = await adminClient(manager.url, manager.home, managerFetch({ caPem: rightPem }));
    for (const name of ["by-ca", "by-pin"]) tokens[name] = (await admin.clusters.create.mutate({ name })).joinToken;
  }, 120_000);
  afterAll(async () => {
    await manager?.stop();
    if (manager) await removeHome(manager.home);
    await rm(dir, { recursive: true, force: true });
  });

  const joinAs = async (cluster: string, trust: ManagerTrust | undefined) => {
    const stateDir = await mkdtemp(join(dir, `${cluster}-`));
    return obtainCredentials({ manager: manager.url, stateDir, joinToken: tokens[cluster], logger: new MemoryLogger(), trust }).then(
      (c) => ({ joined: c.cluster, credential: c.credential }),
      (e: { code?: string; message: string }) => ({ refused: e.code, message: e.message }),
    );
  };

  it("serves https only", () => {
    expect(manager.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
  });

  it("refuses a manager whose certificate does not chain to the configured CA, or to the system's CAs, and keeps the join token unspent", async () => {
    for (const trust of [{ caPem: wrongPem }, undefined]) {
      const answer = await joinAs("by-ca", trust);
      expect(answer).toMatchObject({ refused: "MANAGER_UNREACHABLE" });
      expect((answer as { message: string }).message).toMatch(/certificate|self.signed|verify/i);
    }
    // Nothing reached the manager: the one-time token still works with the right CA.
    const joined = await joinAs("by-ca", { caPem: rightPem });
    expect(joined).toMatchObject({ joined: "by-ca" });
    const client = createManagerClient(manager.url, (joined as { credential: string }).credential, { caPem: rightPem });
    expect((await client.agent.cluster.query()).name).toBe("by-ca");
  });

  it("refuses a manager whose key does not match the pin, with the pin it saw, and accepts the pinned key (self-signed, no CA)", async () => {
    const wrongPin = publicKeyPin(wrongPem);
    const refused = await joinAs("by-pin", { pin: wrongPin });
    expect(refused).toMatchObject({ refused: "MANAGER_UNREACHABLE" });
    expect(JSON.stringify(refused)).toContain(publicKeyPin(rightPem));
    // With the right CA but a wrong pin: both must hold.
    expect(await joinAs("by-pin", { caPem: rightPem, pin: wrongPin })).toMatchObject({ refused: "MANAGER_UNREACHABLE" });
    const joined = await joinAs("by-pin", { pin: publicKeyPin(rightPem) });
    expect(joined).toMatchObject({ joined: "by-pin" });
    // Calls and the config stream's client refuse the wrong key too, with the credential never sent.
    const credential = (joined as { credential: string }).credential;
    const err = await createManagerClient(manager.url, credential, { pin: wrongPin }).agent.heartbeat.mutate({ agentVersion: "x" }).catch((e: Error) => e);
    expect(String((err as Error).cause ?? err)).toMatch(/pin|certificate|fetch failed/i);
    expect(manager.output()).not.toContain(credential);
  });
});
