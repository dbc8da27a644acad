import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DatabaseError } from "./errors.ts";

interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

/** Held lock on a state folder; `release` is idempotent. */
export interface StateLock {
  path: string;
  release(): void;
}

const LOCK_FILE = "manager.lock";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readOwner(path: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockOwner>;
    if (typeof parsed.pid === "number" && typeof parsed.host === "string") return parsed as LockOwner;
  } catch {
    // Unreadable or half-written: treated as no owner.
  }
  return undefined;
}

/**
 * Takes the exclusive lock on a state folder so that two managers never open
 * the same embedded database. The lock file records the owner's pid; a lock
 * left by a process that no longer runs (on this host) is taken over.
 */
export function lockStateDir(dir: string, setting = "WEFT_HOME"): StateLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          if (readOwner(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = readOwner(path);
      const stale = owner === undefined || (owner.host === me.host && !isAlive(owner.pid));
      if (!stale || attempt > 0) {
        const who = owner ? `process ${owner.pid} on ${owner.host} since ${owner.startedAt}` : "another process";
        throw new DatabaseError(
          "STATE_DIR_LOCKED",
          setting,
          `the state folder ${dir} is in use by ${who}. Stop that manager, or point ${setting} at another folder.`,
        );
      }
      rmSync(path, { force: true });
    }
  }
  throw new DatabaseError("STATE_DIR_LOCKED", setting, `could not lock the state folder ${dir}`);
}
