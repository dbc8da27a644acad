import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

/** Preloaded into every Node child: it stops the child when the supervisor is gone (see lifeline.mjs). */
const LIFELINE = fileURLToPath(new URL("./lifeline.mjs", import.meta.url));
/** The child's end of its lifeline pipe. */
const LIFELINE_FD = 3;

/** A child process of the platform, in its own process group so that its own children stop with it. */
export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves with the exit code (or signal) when the process ends. */
  exited: Promise<number | NodeJS.Signals>;
  stop(graceMs?: number): Promise<void>;
}

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Where to write its output, prefixed by its name. */
  output: (line: string) => void;
}

/**
 * Starts a child in its own process group. A Node child also gets a lifeline:
 * a pipe only this process holds open, so the child stops itself when the
 * supervisor dies without stopping it.
 */
export function startChild(spec: ChildSpec): Child {
  const node = spec.command === process.execPath;
  const args = node ? ["--import", LIFELINE, ...spec.args] : spec.args;
  const env = node ? { ...spec.env, WEFT_LIFELINE_FD: String(LIFELINE_FD) } : spec.env;
  const child = spawn(spec.command, args, { cwd: spec.cwd, env, stdio: ["ignore", "pipe", "pipe", node ? "pipe" : "ignore"], detached: true });
  const lifeline = child.stdio[LIFELINE_FD];
  if (lifeline && "unref" in lifeline) {
    lifeline.on("error", () => {});
    (lifeline as unknown as { unref(): void }).unref();
  }
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    createInterface({ input: stream }).on("line", (line) => spec.output(`[${spec.name}] ${line}`));
  }
  const exited = new Promise<number | NodeJS.Signals>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? 0));
    child.once("error", (err) => {
      spec.output(`[${spec.name}] failed to start: ${err.message}`);
      resolve(1);
    });
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    name: spec.name,
    process: child,
    exited,
    async stop(graceMs = 10_000) {
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // The group may still hold grandchildren after the leader exits.
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // Nothing left.
        }
      }
    },
  };
}

/** Polls `url` until it answers 2xx, the child exits, or the time runs out. */
export async function waitForHttp(url: string, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  let last = "no answer";
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${child.name} exited before it was ready (see its output above)`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${Math.round(timeoutMs / 1000)} s (${last})`);
}
