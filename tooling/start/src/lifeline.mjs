// Preloaded (`node --import`) into every process npm start runs. The
// supervisor hands each child the read end of a pipe as the file descriptor
// named by WEFT_LIFELINE_FD and never writes to it: the pipe closes only when
// the supervisor is gone, however it went (SIGKILL, a crash, an exit part-way
// through its own stop). The child then stops itself the way a SIGTERM would
// stop it — gracefully, so an agent still stops its proxies — and exits
// outright if that takes longer than the grace period.
//
// Plain JavaScript on purpose: it loads before tsx, in children that have no
// TypeScript loader at all.
import { Socket } from "node:net";

const GRACE_MS = 15_000;
const fd = Number(process.env.WEFT_LIFELINE_FD);
// This process's own children are not on the supervisor's lifeline (they have their parent's).
delete process.env.WEFT_LIFELINE_FD;

if (Number.isInteger(fd) && fd > 2) {
  let lost = false;
  const onLost = () => {
    if (lost) return;
    lost = true;
    setTimeout(() => process.exit(1), GRACE_MS).unref();
    process.kill(process.pid, "SIGTERM");
  };
  try {
    const line = new Socket({ fd, readable: true, writable: false });
    line.on("data", () => {});
    line.once("end", onLost);
    line.once("close", onLost);
    line.once("error", onLost);
    // The line must never be what keeps a process alive.
    line.unref();
  } catch {
    // Not a pipe we can watch (started by hand with the variable set): run without a lifeline.
  }
}
