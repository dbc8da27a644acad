// A minimal OpenID provider for tests (a hand-written fake): discovery, an
// authorization endpoint that signs the user straight in, a token endpoint
// that enforces PKCE S256 and the client secret, and RS256-signed ID tokens.
import { createHash, generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The claims the next sign-in gets. */
  user: { sub: string; preferred_username?: string; email?: string; name?: string };
  /** Every authorization request's query, for assertions. */
  authorizations: URLSearchParams[];
  close(): Promise<void>;
}

const b64 = (data: Buffer | string) => Buffer.from(data).toString("base64url");

export async function startFakeProvider(): Promise<FakeProvider> {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: "jwk" }), kid: "k1", alg: "RS256", use: "sig" };
  const codes = new Map<string, { challenge: string; nonce: string; redirectUri: string; user: FakeProvider["user"] }>();
  const provider = { clientId: "weft", clientSecret: "provider-secret-value", user: { sub: "u-1", preferred_username: "dana", email: "dana@example.com", name: "Dana" }, authorizations: [] as URLSearchParams[] } as FakeProvider;

  const idToken = (claims: Record<string, unknown>) => {
    const head = b64(JSON.stringify({ alg: "RS256", kid: "k1", typ: "JWT" }));
    const body = b64(JSON.stringify(claims));
    return `${head}.${body}.${b64(sign("sha256", Buffer.from(`${head}.${body}`), privateKey))}`;
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", provider.issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/.well-known/openid-configuration")
      return json(200, {
        issuer: provider.issuer,
        authorization_endpoint: `${provider.issuer}/authorize`,
        token_endpoint: `${provider.issuer}/token`,
        jwks_uri: `${provider.issuer}/jwks`,
        response_types_supported: ["code"],
        subject_types_supported: ["public"],
        id_token_signing_alg_values_supported: ["RS256"],
        code_challenge_methods_supported: ["S256"],
        token_endpoint_auth_methods_supported: ["client_secret_post"],
      });
    if (url.pathname === "/jwks") return json(200, { keys: [jwk] });
    if (url.pathname === "/authorize") {
      provider.authorizations.push(url.searchParams);
      const q = url.searchParams;
      if (q.get("client_id") !== provider.clientId || q.get("response_type") !== "code" || q.get("code_challenge_method") !== "S256" || !q.get("code_challenge")) return json(400, { error: "invalid_request" });
      const code = b64(randomBytes(16));
      codes.set(code, { challenge: q.get("code_challenge") as string, nonce: q.get("nonce") ?? "", redirectUri: q.get("redirect_uri") as string, user: { ...provider.user } });
      const back = new URL(q.get("redirect_uri") as string);
      back.searchParams.set("code", code);
      back.searchParams.set("state", q.get("state") ?? "");
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    if (url.pathname === "/token" && req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        const grant = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        if (form.get("client_id") !== provider.clientId || form.get("client_secret") !== provider.clientSecret) return json(401, { error: "invalid_client" });
        if (!grant || form.get("grant_type") !== "authorization_code" || form.get("redirect_uri") !== grant.redirectUri) return json(400, { error: "invalid_grant" });
        if (b64(createHash("sha256").update(form.get("code_verifier") ?? "").digest()) !== grant.challenge) return json(400, { error: "invalid_grant", error_description: "PKCE verification failed" });
        const now = Math.floor(Date.now() / 1000);
        json(200, { access_token: b64(randomBytes(16)), token_type: "Bearer", expires_in: 300, id_token: idToken({ iss: provider.issuer, aud: provider.clientId, iat: now, exp: now + 300, nonce: grant.nonce, ...grant.user }) });
      });
      return;
    }
    json(404, { error: "not_found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  provider.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return provider;
}
