import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Structured JSON logs. Anything that could carry a secret is redacted by
 * path, so a careless `log.info({ req })` cannot leak a cookie or token.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: "weft-manager" },
      redact: {
        paths: [
          "password",
          "*.password",
          "token",
          "*.token",
          "secret",
          "*.secret",
          "privateKey",
          "*.privateKey",
          "databaseUrl",
          "*.databaseUrl",
          "currentPassword",
          "*.currentPassword",
          "newPassword",
          "*.newPassword",
          "passwordHash",
          "*.passwordHash",
          "clientSecret",
          "*.clientSecret",
          "csrfToken",
          "*.csrfToken",
          'req.headers["x-weft-csrf"]',
          "req.headers.authorization",
          "req.headers.cookie",
          'res.headers["set-cookie"]',
        ],
        censor: "[redacted]",
      },
    },
    destination as never,
  );
}
