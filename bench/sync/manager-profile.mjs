// A CPU profile of the process that imports this (node --import): bench:sync's manager with
// BENCH_MANAGER_NODE_OPTIONS="--import ./bench/sync/manager-profile.mjs" (--cpu-prof is not allowed in NODE_OPTIONS).
// Written to $WEFT_PROFILE_DIR (or the working directory) as manager-<pid>.cpuprofile when the process exits.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";
import { join } from "node:path";

const session = new Session();
session.connect();
session.post("Profiler.enable");
session.post("Profiler.setSamplingInterval", { interval: 500 });
session.post("Profiler.start");
process.on("exit", () => {
  // A same-thread session answers synchronously, so the profile is written before the process ends.
  session.post("Profiler.stop", (err, result) => {
    if (!err) writeFileSync(join(process.env.WEFT_PROFILE_DIR ?? process.cwd(), `manager-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
