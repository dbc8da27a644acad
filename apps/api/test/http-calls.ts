// Raw tRPC calls over HTTP, as an outside caller sends them (no typed client):
// the access test and the generated sweep enumerate procedures from the router
// and call each by path with hand-made inputs and headers.
import superjson from "superjson";
import { appRouter } from "../src/router.ts";
import type { AccessRule, Meta } from "../src/trpc.ts";

export type ProcedureType = "query" | "mutation" | "subscription";

/** A procedure of the app router, as the tests enumerate them. */
export interface ProcedureInfo {
  path: string;
  type: ProcedureType;
  access: AccessRule | undefined;
  /** The procedure's input parsers (zod schemas), in order. */
  inputs: unknown[];
}

/** Every procedure of the app router: a procedure added tomorrow is in this list without anyone adding it. */
export const procedures: ProcedureInfo[] = Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: ProcedureType; meta?: Meta; inputs?: unknown[] } }>).map(([path, p]) => ({
  path,
  type: p._def.type,
  access: p._def.meta?.access,
  inputs: p._def.inputs ?? [],
}));

/** What a refused (or accepted) call answered. */
export interface CallAnswer {
  status: number;
  code: string | undefined;
  /** `data.fieldErrors` of an error answer. */
  fieldErrors?: { path: string; code: string; message: string }[] | null;
}

type ErrorBody = { error?: { json?: { message?: string; data?: { code?: string; fieldErrors?: CallAnswer["fieldErrors"] } } } };

/** Calls `path` with `input` (superjson-encoded, as the clients send it) and `headers`. */
export async function call(url: string, path: string, input: unknown, headers: Record<string, string>, type: ProcedureType = "mutation"): Promise<CallAnswer> {
  if (type === "subscription") return subscribeOnce(url, path, input, headers);
  const encoded = JSON.stringify(superjson.serialize(input ?? {}));
  const res =
    type === "query"
      ? await fetch(`${url}/trpc/${path}?input=${encodeURIComponent(encoded)}`, { headers })
      : await fetch(`${url}/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: encoded });
  return answerOf(res.status, (await res.json()) as ErrorBody);
}

function answerOf(status: number, body: ErrorBody): CallAnswer {
  const data = body.error?.json?.data;
  return { status, code: data?.code, ...(data?.fieldErrors ? { fieldErrors: data.fieldErrors } : {}) };
}

/** Opens a subscription over SSE and reports its first error (as the status the error carries), or 200 when data came first. */
async function subscribeOnce(url: string, path: string, input: unknown, headers: Record<string, string>): Promise<CallAnswer> {
  const abort = new AbortController();
  const res = await fetch(`${url}/trpc/${path}?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input ?? {})))}`, { headers: { accept: "text/event-stream", ...headers }, signal: abort.signal });
  if (!res.body || !res.headers.get("content-type")?.includes("text/event-stream")) {
    return answerOf(res.status, (await res.json()) as ErrorBody);
  }
  const reader = res.body.getReader();
  let text = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
      const error = /event: serialized-error\ndata: (.*)\n/.exec(text);
      if (error) {
        const data = (JSON.parse(error[1] as string) as { json: { data: { code: string; httpStatus: number; fieldErrors?: CallAnswer["fieldErrors"] } } }).json.data;
        return { status: data.httpStatus, code: data.code, ...(data.fieldErrors ? { fieldErrors: data.fieldErrors } : {}) };
      }
      if (/\nid: /.test(text) || /^id: /m.test(text)) return { status: 200, code: undefined };
    }
  } finally {
    abort.abort();
  }
  return { status: res.status, code: undefined };
}
