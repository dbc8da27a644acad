// JSON-lines logging on stderr, the same shape as the proxy's logs.

export type LogLevel = "error" | "warn" | "info" | "debug";
const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
}

/** A logger writing one JSON object per line; messages above `level` are dropped. */
export function createLogger(level: LogLevel, write: (line: string) => void = (line) => process.stderr.write(line)): Logger {
  const at = (l: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (RANK[l] <= RANK[level]) write(`${JSON.stringify({ time: new Date().toISOString(), level: l, component: "agent", msg, ...fields })}\n`);
  };
  return { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

/** A logger that keeps entries in memory: for tests that assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly entries: { level: LogLevel; msg: string; fields: Record<string, unknown> }[] = [];
  error = (msg: string, fields: Record<string, unknown> = {}) => void this.entries.push({ level: "error", msg, fields });
  warn = (msg: string, fields: Record<string, unknown> = {}) => void this.entries.push({ level: "warn", msg, fields });
  info = (msg: string, fields: Record<string, unknown> = {}) => void this.entries.push({ level: "info", msg, fields });
  debug = (msg: string, fields: Record<string, unknown> = {}) => void this.entries.push({ level: "debug", msg, fields });
}

export const errorMessage = (err: unknown): string => (err instanceof Error ? err.message : String(err));
