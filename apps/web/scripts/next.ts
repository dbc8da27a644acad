// Runs `next dev|build|start` for the dashboard: the address comes from
// WEFT_WEB_HOST / WEFT_WEB_PORT (checked by src/env.ts, so a bad value is
// named before Next starts) and telemetry stays off, since builds run offline.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { EnvError, parseEnv } from "../src/env.ts";

const COMMANDS = ["dev", "build", "start"] as const;
type Command = (typeof COMMANDS)[number];

const [command, ...rest] = process.argv.slice(2);
if (!COMMANDS.includes(command as Command)) {
  console.error(`usage: next.ts <${COMMANDS.join("|")}> [next options]`);
  process.exit(2);
}

let env;
try {
  env = parseEnv();
} catch (err) {
  if (!(err instanceof EnvError)) throw err;
  console.error(`weft-web: invalid environment\n${err.message}`);
  process.exit(2);
}

const listen = command === "build" ? [] : ["--hostname", env.WEFT_WEB_HOST, "--port", String(env.WEFT_WEB_PORT)];
const nextBin = createRequire(import.meta.url).resolve("next/dist/bin/next");
const child = spawn(process.execPath, [nextBin, command as Command, ...listen, ...rest], {
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 + constants.signals[signal] : 1));
});
