// weft: the command-line client of the Weft manager.
import { run } from "./cli.ts";

// ctrl-C lets a live command (top, tap) end cleanly; anything still running a second later is ended.
const interrupted = new AbortController();
process.on("SIGINT", () => {
  if (interrupted.signal.aborted) process.exit(130);
  interrupted.abort();
  setTimeout(() => process.exit(130), 1000).unref();
});

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  signal: interrupted.signal,
  terminal: process.stdout.isTTY === true,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stdin: process.stdin,
});
