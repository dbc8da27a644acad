import { describe, expect, it } from "vitest";
import { apiOrigin, EnvError, parseEnv } from "./env.ts";

describe("parseEnv", () => {
  it("defaults to loopback, dashboard on 3000 and manager on 4000", () => {
    expect(parseEnv({})).toEqual({ WEFT_WEB_HOST: "127.0.0.1", WEFT_WEB_PORT: 3000, WEFT_API_HOST: "127.0.0.1", WEFT_API_PORT: 4000, WEFT_API_SCHEME: "http" });
  });

  it.each([
    [{ WEFT_WEB_PORT: "8080" }, { WEFT_WEB_PORT: 8080 }],
    [{ WEFT_API_PORT: "4100", WEFT_API_HOST: "manager.internal" }, { WEFT_API_PORT: 4100, WEFT_API_HOST: "manager.internal" }],
    [{ WEFT_WEB_PORT: "" }, { WEFT_WEB_PORT: 3000 }],
    [{ WEFT_WEB_HOST: "0.0.0.0" }, { WEFT_WEB_HOST: "0.0.0.0" }],
    [{ WEFT_API_SCHEME: "https" }, { WEFT_API_SCHEME: "https" }],
  ])("reads %j", (source, expected) => {
    expect(parseEnv(source)).toMatchObject(expected);
  });

  it.each([
    [{ WEFT_WEB_PORT: "http" }, "WEFT_WEB_PORT: must be a port number"],
    [{ WEFT_API_PORT: "70000" }, "WEFT_API_PORT: must be between 0 and 65535"],
    [{ WEFT_API_PORT: "40.5" }, "WEFT_API_PORT: must be a whole number"],
    [{ WEFT_API_HOST: "  " }, "WEFT_API_HOST: must not be empty"],
    [{ WEFT_API_SCHEME: "ftp" }, 'WEFT_API_SCHEME: must be "http" or "https"'],
  ])("names the variable in %j", (source, message) => {
    expect(() => parseEnv(source)).toThrow(EnvError);
    expect(() => parseEnv(source)).toThrow(message);
  });
});

describe("apiOrigin", () => {
  it.each([
    [{ WEFT_API_HOST: "127.0.0.1", WEFT_API_PORT: 4000 }, "http://127.0.0.1:4000"],
    [{ WEFT_API_HOST: "::1", WEFT_API_PORT: 4000 }, "http://[::1]:4000"],
    [{ WEFT_API_HOST: "[::1]", WEFT_API_PORT: 4001 }, "http://[::1]:4001"],
    [{ WEFT_API_HOST: "weft-manager.weft-system.svc", WEFT_API_PORT: 4000, WEFT_API_SCHEME: "https" as const }, "https://weft-manager.weft-system.svc:4000"],
  ])("%j → %s", (env, expected) => {
    expect(apiOrigin(env)).toBe(expected);
  });
});
