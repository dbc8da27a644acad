import { describe, expect, it } from "vitest";
import { TapRing, type TapEvent } from "./tap-ring.ts";

const event = (path: string): Omit<TapEvent, "seq"> => ({
  time: "2026-06-01T12:00:00.000Z",
  direction: "outbound",
  method: "GET",
  authority: "catalog",
  path,
  status: 200,
  durationMs: 1,
  flags: "-",
  sourceService: "frontend",
  sourceIdentity: "unknown",
  destinationService: "catalog",
  destinationVersion: "v1",
  destinationCluster: "east",
  mtls: false,
  traceId: null,
});

describe("TapRing", () => {
  it("records nothing until someone reads, and stops when nobody has for a while", () => {
    let now = 0;
    const ring = new TapRing(() => now, 4, 1000);
    expect(ring.armed).toBe(false);
    expect(ring.read(0)).toEqual({ seq: 0, dropped: 0, events: [] });
    expect(ring.armed).toBe(true);
    now = 1001;
    expect(ring.armed).toBe(false);
  });

  it.each([
    // [events pushed, read after, expected paths, dropped]
    [3, 0, ["/1", "/2", "/3"], 0],
    [3, 2, ["/3"], 0],
    [6, 0, ["/3", "/4", "/5", "/6"], 2],
    [6, 3, ["/4", "/5", "/6"], 0],
    [6, 6, [], 0],
  ])("keeps the last 4 of %i: after %i reads %j, %i dropped", (pushed, after, paths, dropped) => {
    const ring = new TapRing(() => 0, 4, 1000);
    for (let i = 1; i <= pushed; i++) ring.push(event(`/${i}`));
    const read = ring.read(after);
    expect(read.events.map((e) => e.path)).toEqual(paths);
    expect(read).toMatchObject({ seq: pushed, dropped });
  });
});
