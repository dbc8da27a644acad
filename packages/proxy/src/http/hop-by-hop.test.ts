import { describe, expect, it } from "vitest";
import { stripHopByHop } from "./hop-by-hop.ts";

describe("stripHopByHop", () => {
  it.each([
    ["fixed list", { connection: "close", "keep-alive": "timeout=5", te: "trailers", trailer: "x", "transfer-encoding": "chunked", upgrade: "h2c", "x-a": "1" }, { "x-a": "1" }],
    ["proxy-* headers", { "proxy-authorization": "Basic x", "proxy-connection": "keep-alive", "x-a": "1" }, { "x-a": "1" }],
    ["headers named in Connection", { connection: "X-Secret, , x-other", "x-secret": "1", "x-other": "2", "x-a": "1" }, { "x-a": "1" }],
    ["host is left to the forwarder", { host: "svc", "x-a": "1" }, { "x-a": "1" }],
    ["end-to-end headers stay", { "content-type": "text/plain", "content-length": "3", cookie: "a=1" }, { "content-type": "text/plain", "content-length": "3", cookie: "a=1" }],
  ])("%s", (_name, headers, expected) => {
    expect(stripHopByHop(headers)).toEqual(expected);
  });
});
