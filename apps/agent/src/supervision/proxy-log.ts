// A proxy's stdout and stderr go to a file in the agent's state folder rather
// than a pipe (a pipe's closing, when the agent dies, would end the proxy at
// its next log line). The agent tails the file for the lines it relays and
// keeps, and caps its size: past the cap the file is copied to `<file>.1` and
// truncated in place (the proxy appends with O_APPEND, so it writes on at the
// new end; lines written between the copy and the truncation are lost, as
// with logrotate's copytruncate).
import { copyFile, open, stat, truncate } from "node:fs/promises";

export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024;

export class LogTail {
  #offset: number;
  #timer: NodeJS.Timeout | undefined;
  #partial = "";
  #reading: Promise<void> = Promise.resolve();

  /** Tails `path` from byte `from` (its size when the proxy was started or adopted). */
  constructor(
    readonly path: string,
    from: number,
    private readonly onLine: (line: string) => void,
    private readonly options: { maxBytes?: number; intervalMs?: number } = {},
  ) {
    this.#offset = from;
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.poll(), this.options.intervalMs ?? 250);
    this.#timer.unref();
  }

  /** Reads what was appended since the last call (serialized), then rotates the file if it outgrew its cap. */
  poll(): Promise<void> {
    this.#reading = this.#reading.then(() => this.#read()).catch(() => undefined);
    return this.#reading;
  }

  async #read(): Promise<void> {
    const size = (await stat(this.path).catch(() => undefined))?.size;
    if (size === undefined) return;
    // Truncated by someone else (or rotated): start over from its beginning.
    if (size < this.#offset) this.#offset = 0;
    if (size > this.#offset) {
      const handle = await open(this.path, "r");
      try {
        const length = Math.min(size - this.#offset, 1024 * 1024);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, this.#offset);
        this.#offset += bytesRead;
        const lines = (this.#partial + buffer.subarray(0, bytesRead).toString("utf8")).split("\n");
        this.#partial = (lines.pop() ?? "").slice(-64 * 1024);
        for (const line of lines) if (line) this.onLine(line);
      } finally {
        await handle.close();
      }
    }
    if (this.#offset >= (this.options.maxBytes ?? DEFAULT_LOG_MAX_BYTES)) {
      await copyFile(this.path, `${this.path}.1`);
      await truncate(this.path, 0);
      this.#offset = 0;
    }
  }

  /** Stops tailing after reading what is there (a proxy's last words before it exited). */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.poll();
  }
}

/** The size of `path` now (0 when it does not exist): where a new tail starts. */
export async function sizeOf(path: string): Promise<number> {
  return (await stat(path).catch(() => undefined))?.size ?? 0;
}
