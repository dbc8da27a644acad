#!/usr/bin/env tsx
// weft-proxy --config proxy.yaml [--drain-ms 5000]
// Loads a ProxyConfig (YAML or JSON), reloads it when the file changes (or
// on SIGHUP), and drains gracefully on SIGTERM / SIGINT.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { loadConfigFile } from "./config-file.ts";
import { ProxyConfigError, WeftProxy, type Logger } from "./proxy.ts";

const USAGE = "usage: weft-proxy --config <proxy.yaml> [--drain-ms <ms>]";

/** JSON lines on stderr: one object per event, easy to ship and to grep. */
const logger: Logger = {
  info: (msg, fields) => log("info", msg, fields),
  warn: (msg, fields) => log("warn", msg, fields),
  error: (msg, fields) => log("error", msg, fields),
};

function log(level: string, msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

async function main(): Promise<number> {
  let values: { config?: string; "drain-ms"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { config: { type: "string", short: "c" }, "drain-ms": { type: "string" }, help: { type: "boolean", short: "h" } } }));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
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

  let proxy: WeftProxy;
  try {
    proxy = await WeftProxy.start(await loadConfigFile(path), { logger });
  } catch (err) {
    logger.error("cannot start", { config: path, error: err instanceof ProxyConfigError ? err.reason : err instanceof Error ? err.message : String(err) });
    return 1;
  }

  let reloading = Promise.resolve();
  const reload = (why: string) => {
    reloading = reloading.then(async () => {
      try {
        const result = await proxy.applyConfig(await loadConfigFile(path));
        if (result.ok) logger.info("reloaded", { why, version: result.version });
        else logger.warn("reload refused, keeping the active config", { why, reason: result.reason, version: proxy.version });
      } catch (err) {
        logger.warn("reload failed, keeping the active config", { why, error: err instanceof Error ? err.message : String(err), version: proxy.version });
      }
    });
  };

  // Watch the directory, not the file: editors and Kubernetes ConfigMaps replace files by rename.
  let debounce: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, file) => {
      if (file !== null && file !== basename(path) && !file.startsWith("..")) return;
      clearTimeout(debounce);
      debounce = setTimeout(() => reload("file changed"), 100);
    });
    watcher.on("error", (err) => logger.warn("config watch failed", { error: err.message }));
  } catch (err) {
    logger.warn("cannot watch the config file; reload with SIGHUP", { error: err instanceof Error ? err.message : String(err) });
  }
  process.on("SIGHUP", () => reload("SIGHUP"));

  await new Promise<void>((done) => {
    const stop = (signal: string) => {
      logger.info("draining", { signal, drainMs });
      watcher?.close();
      clearTimeout(debounce);
      void proxy.close({ drainMs }).then(done);
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    logger.error("fatal", { error: err instanceof Error ? err.stack : String(err) });
    process.exit(1);
  },
);
