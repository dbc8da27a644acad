// weft-agent: the per-cluster agent.
import { startAgent } from "./agent.ts";
import { runCli } from "./cli.ts";
import { describeConfig } from "./config.ts";
import { createLogger, errorMessage } from "./logger.ts";

const outcome = await runCli(process.argv.slice(2), process.env);
switch (outcome.action) {
  case "help":
  case "print-config":
    console.log(outcome.output);
    break;
  case "error":
    console.error(outcome.output);
    process.exitCode = outcome.exitCode;
    break;
  case "run": {
    const logger = createLogger(outcome.config.logLevel);
    logger.info("starting", { config: describeConfig(outcome.config) });
    try {
      const agent = await startAgent(outcome.config, { logger });
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info("stopping", { signal });
        agent.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error("unclean stop", { error: errorMessage(err) });
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => shutdown("SIGTERM"));
      process.on("SIGINT", () => shutdown("SIGINT"));
    } catch (err) {
      logger.error("cannot start", { error: errorMessage(err) });
      process.exitCode = 1;
    }
    break;
  }
}
