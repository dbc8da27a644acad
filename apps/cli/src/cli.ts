import { readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { KINDS, type Kind } from "@weft/mesh-model";
import { stringify } from "yaml";
import { managerClient, sessionClient, type ManagerClient } from "./client.ts";
import { configPath, loadConfig, saveConfig } from "./config.ts";
import { describeChange, describeError, table } from "./output.ts";

export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout(text: string): void;
  stderr(text: string): void;
  stdin: NodeJS.ReadableStream;
}

export const USAGE = `weft: the command-line client of the Weft manager

Usage:
  weft login --server URL (--token TOKEN | --username NAME [--password-stdin])
  weft get <kind> [name] [-n namespace] [-o yaml|json]
  weft apply -f FILE [--dry-run] [-m message]      FILE may be - for stdin; YAML (multi-document) or JSON
  weft diff -f FILE                                exit code 1 when the live config differs
  weft delete <kind> <name> [-n namespace] [--dry-run] [-m message]
  weft history <kind> <name> [-n namespace]
  weft rollback <kind> <name> --to REVISION [-n namespace] [--dry-run] [-m message]

Kinds: ${KINDS.join(", ")} (any case, singular or plural).
Settings: ~/.config/weft/config.json (or $WEFT_CONFIG), written by weft login;
WEFT_SERVER and WEFT_TOKEN override it.
`;

/** A usage mistake: printed with a hint, exit code 2. */
class UsageError extends Error {}

/** Resolves `httproute`, `HTTPRoutes`, `trafficpolicies`... to a kind. */
export function resolveKind(text: string | undefined): Kind {
  if (!text) throw new UsageError("missing <kind>");
  const wanted = text.toLowerCase();
  const kind = KINDS.find((k) => {
    const lower = k.toLowerCase();
    return wanted === lower || wanted === `${lower}s` || wanted === `${lower}es` || (lower.endsWith("y") && wanted === `${lower.slice(0, -1)}ies`);
  });
  if (!kind) throw new UsageError(`unknown kind "${text}"; expected one of ${KINDS.join(", ")}`);
  return kind;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

async function readInput(file: string | undefined, io: CliIo): Promise<{ text: string; format?: "yaml" | "json" }> {
  if (!file) throw new UsageError("missing -f FILE");
  const text = file === "-" ? await readAll(io.stdin) : await readFile(file, "utf8");
  return { text, ...(file.endsWith(".json") ? { format: "json" as const } : file.endsWith(".yaml") || file.endsWith(".yml") ? { format: "yaml" as const } : {}) };
}

async function connect(io: CliIo): Promise<ManagerClient> {
  const config = await loadConfig(io.env);
  const server = io.env.WEFT_SERVER || config?.server;
  const token = io.env.WEFT_TOKEN || config?.token;
  if (!server || !token) throw new UsageError(`not logged in (no ${configPath(io.env)}); run weft login --server URL ...`);
  return managerClient(server, token);
}

const OPTIONS = {
  server: { type: "string" },
  token: { type: "string" },
  username: { type: "string" },
  "password-stdin": { type: "boolean" },
  namespace: { type: "string", short: "n" },
  output: { type: "string", short: "o" },
  filename: { type: "string", short: "f" },
  "dry-run": { type: "boolean" },
  message: { type: "string", short: "m" },
  to: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Runs one command; returns the exit code (0 ok, 1 failed or differs, 2 usage). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
    const [command, ...args] = positionals;
    if (!command || values.help || command === "help") {
      io.stdout(USAGE);
      return command || values.help ? 0 : 2;
    }
    const dryRun = values["dry-run"] ?? false;
    const message = values.message ?? "";
    const namespace = values.namespace;
    switch (command) {
      case "login":
        return await login(values, io);
      case "get": {
        const kind = resolveKind(args[0]);
        const client = await connect(io);
        const format = values.output ?? (args[1] ? "yaml" : "table");
        if (!["yaml", "json", "table"].includes(format)) throw new UsageError(`-o must be yaml or json, not "${format}"`);
        const items = args[1] ? [await client.resources.get.query({ kind, name: args[1], namespace })] : await client.resources.list.query({ kind, ...(namespace ? { namespace } : {}) });
        const docs = items.map((i) => i.document).filter((d) => d !== null);
        if (format === "json") io.stdout(`${JSON.stringify(args[1] ? docs[0] : docs, null, 2)}\n`);
        else if (format === "yaml") io.stdout(docs.map((d) => stringify(d)).join("---\n"));
        else io.stdout(items.length === 0 ? "no resources found\n" : table(["NAMESPACE", "NAME", "REVISION", "UPDATED"], items.map((i) => [i.namespace || "-", i.name, String(i.revision), i.updatedAt.toISOString()])));
        return 0;
      }
      case "apply":
      case "diff": {
        const input = await readInput(values.filename, io);
        const client = await connect(io);
        const result = await client.resources.applyDocuments.mutate({ ...input, dryRun: command === "diff" || dryRun, message });
        io.stdout(describeChange(result, { showDiff: command === "diff" }));
        if (result.status === "invalid" || result.status === "blocked") return 1;
        if (command === "diff") return result.changes.some((c) => c.action !== "unchanged") ? 1 : 0;
        return 0;
      }
      case "delete": {
        const kind = resolveKind(args[0]);
        if (!args[1]) throw new UsageError("missing <name>");
        const result = await (await connect(io)).resources.delete.mutate({ kind, name: args[1], namespace, dryRun, message });
        io.stdout(describeChange(result, { showDiff: false }));
        return result.status === "blocked" ? 1 : 0;
      }
      case "history": {
        const kind = resolveKind(args[0]);
        if (!args[1]) throw new UsageError("missing <name>");
        const revisions = await (await connect(io)).resources.history.query({ kind, name: args[1], namespace });
        io.stdout(table(["REVISION", "ACTION", "AUTHOR", "CONFIG", "TIME", "MESSAGE"], revisions.map((r) => [String(r.revision), r.action, r.authorName, String(r.configVersion), r.createdAt.toISOString(), r.message])));
        return 0;
      }
      case "rollback": {
        const kind = resolveKind(args[0]);
        if (!args[1]) throw new UsageError("missing <name>");
        const to = Number(values.to);
        if (!values.to || !Number.isInteger(to) || to < 1) throw new UsageError("--to REVISION must be a revision number");
        const result = await (await connect(io)).resources.rollback.mutate({ kind, name: args[1], namespace, toRevision: to, dryRun, message });
        io.stdout(describeChange(result, { showDiff: dryRun }));
        return result.status === "blocked" ? 1 : 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`weft: ${(err as Error).message}\nRun weft help for usage.\n`);
      return 2;
    }
    io.stderr(describeError(err));
    return 1;
  }
}

async function login(values: { server?: string | undefined; token?: string | undefined; username?: string | undefined; "password-stdin"?: boolean | undefined }, io: CliIo): Promise<number> {
  const server = values.server ?? io.env.WEFT_SERVER;
  if (!server) throw new UsageError("missing --server URL");
  let token = values.token ?? "";
  if (!token) {
    if (!values.username) throw new UsageError("give --token TOKEN, or --username NAME (password on stdin with --password-stdin)");
    if (!values["password-stdin"]) throw new UsageError("pass the password on stdin with --password-stdin (it is never taken as an argument)");
    const password = (await readAll(io.stdin)).replace(/\r?\n$/, "");
    const session = sessionClient(server);
    await session.auth.login.mutate({ username: values.username, password });
    const created = await session.tokens.create.mutate({ name: `weft-cli ${hostname()} ${new Date().toISOString()}`.slice(0, 64).replace(/[^\w. -]/g, "-") });
    await session.auth.logout.mutate();
    token = created.token;
  }
  const me = await managerClient(server, token).auth.me.query();
  if (!me) throw new Error("the manager did not accept the token");
  const path = await saveConfig(io.env, { server, token, username: me.user.username });
  io.stdout(`logged in to ${server} as ${me.user.username} (${me.user.role.toLowerCase()}); settings in ${path}\n`);
  return 0;
}
