// weft-agent: the per-cluster agent.
import { runCli } from "./cli.ts";
import { describeConfig } from "./config.ts";

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
  case "run":
    // Discovery, proxy supervision and sync arrive with the agent issue; this
    // build validates the configuration the agent will run with.
    console.log(`weft-agent: configuration is valid: ${JSON.stringify(describeConfig(outcome.config))}`);
    console.log("weft-agent: this build has no discovery or sync loop yet; nothing to run.");
    process.exitCode = 3;
    break;
}
