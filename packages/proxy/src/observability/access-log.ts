// JSON access-log lines (one per request or TCP connection), to stdout or
// appended to a file, as the config says. Off by default: when off, nothing
// is built per request.
import { createWriteStream, type WriteStream } from "node:fs";

export class AccessLog {
  private path: string | undefined;
  private file: WriteStream | undefined;

  /** Whether lines are being written. */
  get enabled(): boolean {
    return this.path !== undefined;
  }

  /** Points the log at `path` (`stdout` or a file), or turns it off. */
  configure(path: string | undefined): void {
    if (path === this.path) return;
    this.file?.end();
    this.file = undefined;
    this.path = path;
    if (path !== undefined && path !== "stdout") {
      this.file = createWriteStream(path, { flags: "a" });
      this.file.on("error", () => undefined);
    }
  }

  write(entry: Record<string, unknown>): void {
    if (this.path === undefined) return;
    const line = `${JSON.stringify(entry)}\n`;
    if (this.file) this.file.write(line);
    else process.stdout.write(line);
  }

  /** Flushes and closes the file, if any. */
  close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    this.path = undefined;
    return new Promise((resolve) => (file ? file.end(() => resolve()) : resolve()));
  }
}
