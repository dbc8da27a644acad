// Preloaded into the manager by the scale bench (NODE_OPTIONS=--import ...,
// since --cpu-prof is not allowed there): SIGUSR2 starts V8's sampling
// profiler, the next SIGUSR2 stops it and writes
// $WEFT_BENCH_PROFILE_DIR/<n>.cpuprofile, so the bench profiles one phase at a time.
import { Session } from "node:inspector";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const dir = process.env.WEFT_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  let running = false;
  let n = 0;
  session.post("Profiler.enable");
  process.on("SIGUSR2", () => {
    if (!running) {
      running = true;
      session.post("Profiler.start");
      return;
    }
    running = false;
    session.post("Profiler.stop", (err, result) => {
      const file = join(dir, `${++n}.cpuprofile`);
      writeFileSync(`${file}.tmp`, err ? JSON.stringify({ error: String(err) }) : JSON.stringify(result.profile));
      renameSync(`${file}.tmp`, file); // complete: the bench waits for the final name
    });
  });
}
