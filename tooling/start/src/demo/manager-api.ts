// A minimal client of the manager's tRPC HTTP API (superjson wire format)
// for the demo bootstrap: the supervisor stays free of the manager's code
// and of a tRPC client dependency. Signs in as the first admin.
import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** superjson's wire form for the values the demo sends (plain JSON and Dates). */
function encode(input: unknown): { json: unknown; meta?: { values: Record<string, ["Date"]> } } {
  const values: Record<string, ["Date"]> = {};
  const walk = (v: unknown, path: string[]): unknown => {
    if (v instanceof Date) {
      values[path.join(".")] = ["Date"];
      return v.toISOString();
    }
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  const json = walk(input, []);
  return Object.keys(values).length > 0 ? { json, meta: { values } } : { json };
}

export class ManagerApiError extends Error {
  override readonly name = "ManagerApiError";
  constructor(
    readonly path: string,
    readonly code: string,
    message: string,
  ) {
    super(`${path}: ${code}: ${message}`);
  }
}

export class ManagerApi {
  #cookies = new Map<string, string>();

  constructor(readonly url: string) {}

  /** Signs in as `admin` with the password the manager wrote on first start. */
  static async asFirstAdmin(url: string, home: string): Promise<ManagerApi> {
    const password = (await readFile(join(home, "initial-admin-password"), "utf8")).trim();
    const api = new ManagerApi(url);
    await api.mutation("auth.login", { username: "admin", password });
    return api;
  }

  query<T>(path: string, input?: unknown): Promise<T> {
    const q = input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(encode(input)))}`;
    return this.#call<T>(path, `${this.url}/trpc/${path}${q}`, { method: "GET" });
  }

  mutation<T>(path: string, input: unknown): Promise<T> {
    return this.#call<T>(path, `${this.url}/trpc/${path}`, { method: "POST", body: JSON.stringify(encode(input)), headers: { "content-type": "application/json" } });
  }

  async #call<T>(path: string, url: string, init: RequestInit): Promise<T> {
    const headers: Record<string, string> = { ...(init.headers as Record<string, string>) };
    if (this.#cookies.size > 0) headers.cookie = [...this.#cookies].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("; ");
    const csrf = this.#cookies.get("weft_csrf");
    if (csrf) headers["x-weft-csrf"] = csrf;
    const res = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(30_000) });
    for (const line of res.headers.getSetCookie()) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      if (eq > 0) this.#cookies.set(pair.slice(0, eq), decodeURIComponent(pair.slice(eq + 1)));
    }
    const body = (await res.json()) as { result?: { data?: { json?: unknown } }; error?: { json?: { message?: string; data?: { code?: string } } } };
    if (body.error) throw new ManagerApiError(path, body.error.json?.data?.code ?? String(res.status), body.error.json?.message ?? "failed");
    return body.result?.data?.json as T;
  }
}
