#!/usr/bin/env tsx
// weft-proxy --config proxy.yaml [--drain-ms 5000]
// weft-proxy --config bootstrap.yaml --config-url <agent> --token-file <path> [--ca-file <path>] [--identity-dir <dir>]
// Loads a ProxyConfig (YAML or JSON) and drains gracefully on SIGTERM /
// SIGINT. File mode reloads it when the file changes (or on SIGHUP). Pull
// mode (a Kubernetes sidecar) starts on the file as a bootstrap and from then
// on follows the config its cluster's agent compiles for it.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { readFile } from "node:fs/promises";
import { loadConfigFile } from "./config/config-file.ts";
import { ConfigFileFollower } from "./config/config-file-follower.ts";
import { ProxyConfigError } from "./core/apply-result.ts";
import type { Logger } from "./core/logger.ts";
import { releaseYoungGeneration } from "./core/young-generation.ts";
import { WeftProxy } from "./proxy.ts";

const USAGE =
  "usage: weft-proxy --config <proxy.yaml> [--drain-ms <ms>]\n" +
  "       weft-proxy --config <bootstrap.yaml> --config-url <https://agent:15012> --token-file <path> [--ca-file <path>] [--identity-dir <dir>] [--pod <name>] [--namespace <ns>]";

/** JSON lines on stderr: one object per event, easy to ship and to grep. */
const logger: Logger = {
  info: (msg, fields) => log("info", msg, fields),
  warn: (msg, fields) => log("warn", msg, fields),
  error: (msg, fields) => log("error", msg, fields),
};

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

const OPTIONS = {
  config: { type: "string", short: "c" },
  "drain-ms": { type: "string" },
  help: { type: "boolean", short: "h" },
  "config-url": { type: "string" },
  "token-file": { type: "string" },
  "ca-file": { type: "string" },
  "identity-dir": { type: "string" },
  pod: { type: "string" },
  namespace: { type: "string" },
} as const;

type CliValues = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

/** The parsed flags, or undefined (usage printed) when they do not parse. */
function readArgs(): CliValues | undefined {
  try {
    return parseArgs({ options: OPTIONS }).values;
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return undefined;
  }
}

async function main(): Promise<number> {
  const values = readArgs();
  if (!values) return 2;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!values.config) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const drainMs = values["drain-ms"] === undefined ? 5000 : Number(values["drain-ms"]);
  if (!Number.isInteger(drainMs) || drainMs < 0) {
    process.stderr.write(`--drain-ms must be a non-negative integer\n${USAGE}\n`);
    return 2;
  }
  const path = resolve(values.config);
  const pull = pullSettings(values, path);
  if (typeof pull === "string") {
    process.stderr.write(`${pull}\n${USAGE}\n`);
    return 2;
  }
  let caPem: string | undefined;
  if (pull?.caFile) {
    try {
      caPem = await readFile(pull.caFile, "utf8");
    } catch (err) {
      process.stderr.write(`--ca-file: cannot read ${pull.caFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      return 2;
    }
  }

  let proxy: WeftProxy;
  // File mode: reloads on change, and a push (PUT /config) supersedes the file on disk until it is written again.
  const follower = pull ? undefined : new ConfigFileFollower(path, () => proxy, logger);
  try {
    proxy = await WeftProxy.start(await loadConfigFile(path), { logger, ...(follower && { onConfigPush: () => follower.pushStarting() }) });
  } catch (err) {
    logger.error("cannot start", { config: path, error: err instanceof ProxyConfigError ? err.reason : err instanceof Error ? err.message : String(err) });
    return 1;
  }
  // Start-up is over: from here on the young generation sizes itself to the traffic (src/main.ts held it).
  releaseYoungGeneration();

  const reload = (why: string, force = false) => void follower?.reload(why, force);

  // Pull mode: the file was only the bootstrap; the agent's config replaces it and is not reverted by file events.
  // Loaded only in pull mode: it brings the whole mesh-model wire contract, which a file-mode proxy never needs (memory).
  const PullConfigSource = pull ? (await import("./config/config-source.ts")).PullConfigSource : undefined;
  const source = pull && PullConfigSource && new PullConfigSource(proxy, { url: pull.url, tokenFile: pull.tokenFile, ...(caPem !== undefined && { caPem }), namespace: pull.namespace, pod: pull.pod, identityDir: pull.identityDir, logger, telemetry: proxy });
  source?.start();

  // Watch the directory, not the file: editors and Kubernetes ConfigMaps replace files by rename.
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  if (!source) try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== basename(path) && !file.startsWith("..")) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => reload("file changed"), 100);
    });
    watcher.on("error", (err) => logger.warn("config watch failed", { error: err.message }));
  } catch (err) {
    logger.warn("cannot watch the config file; reload with SIGHUP", { error: err instanceof Error ? err.message : String(err) });
  }
  if (!source) process.on("SIGHUP", () => reload("SIGHUP", true));

  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      logger.info("draining", { signal, drainMs });
      watcher?.close();
      clearTimeout(debounce);
      void (source?.stop() ?? Promise.resolve()).then(() => proxy.close({ drainMs })).then(done);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

/** The pull-mode flags, checked; undefined in file mode; a message naming the flag when one is wrong. */
function pullSettings(
  values: { "config-url"?: string; "token-file"?: string; "ca-file"?: string; "identity-dir"?: string; pod?: string; namespace?: string },
  configPath: string,
): { url: string; tokenFile: string; caFile?: string; identityDir: string; pod: string; namespace: string } | undefined | string {
  const url = values["config-url"];
  if (url === undefined) {
    const stray = (["token-file", "ca-file", "identity-dir", "pod", "namespace"] as const).find((f) => values[f] !== undefined);
    return stray ? `--${stray} needs --config-url` : undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "--config-url must be a URL, e.g. https://weft-agent.weft-system.svc:15012";
  }
  if (parsed.protocol !== "https:") return "--config-url must be https: the token and the SVID travel on it";
  if (!values["token-file"]) return "--token-file is required with --config-url (the pod's projected service-account token)";
  // The webhook passes the pod's name and namespace through the downward API.
  const pod = values.pod ?? process.env.POD_NAME;
  const namespace = values.namespace ?? process.env.POD_NAMESPACE;
  if (!pod) return "--pod (or POD_NAME) is required with --config-url";
  if (!namespace) return "--namespace (or POD_NAMESPACE) is required with --config-url";
  return {
    url,
    tokenFile: resolve(values["token-file"]),
    ...(values["ca-file"] !== undefined && { caFile: resolve(values["ca-file"]) }),
    identityDir: resolve(values["identity-dir"] ?? `${dirname(configPath)}/identity`),
    pod,
    namespace,
  };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.error("fatal", { error: err instanceof Error ? err.stack : String(err) });
    process.exit(1);
  },
);
