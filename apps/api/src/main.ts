// weft-manager: the Weft management API.
import { parseEnv, EnvError } from "./env.ts";
import { createLogger } from "./logger.ts";
import { startManager } from "./manager.ts";

let env;
try {
  env = parseEnv();
} catch (err) {
  if (!(err instanceof EnvError)) throw err;
  console.error(`weft-manager: invalid environment\n${err.message}`);
  process.exit(2);
}
const log = createLogger(env.WEFT_LOG_LEVEL);

try {
  const manager = await startManager(env, log);
  log.info({ url: manager.api.url }, `manager API listening on ${manager.api.url}`);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) process.exit(1);
    log.info({ signal }, "shutting down");
    manager.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
} catch (err) {
  log.fatal({ code: (err as { code?: string }).code }, (err as Error).message);
  process.exit(1);
}
