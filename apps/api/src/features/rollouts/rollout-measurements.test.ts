import { describe, expect, it } from "vitest";
import { callWebhook, shownError, shownUrl } from "./rollout-measurements.ts";

const payload = { name: "reviews", namespace: "shop", phase: "Progressing", type: "rollout" as const, metadata: {}, service: "reviews", stableVersion: "v1", canaryVersion: "v2", step: 1, wave: 0 };

describe("what a webhook check stores for viewers", () => {
  it("keeps a URL without credentials as it is and drops user:password from one with them", () => {
    expect(shownUrl("https://ci.example/hook?x=1")).toBe("https://ci.example/hook?x=1");
    expect(shownUrl("https://bot:s3cret@ci.example/hook")).toBe("https://ci.example/hook");
  });

  it("hides the URL's credentials in an error, makes it one line and bounds it", () => {
    const url = "https://bot:s3cret@ci.example/hook";
    expect(shownError(`request failed: bad ${url}\nsecond line s3cret`, url)).toBe("request failed: bad https://ci.example/hook second line ***");
    const long = shownError("x".repeat(1000), "https://ci.example/");
    expect(long).toHaveLength(300);
    expect(long.endsWith("…")).toBe(true);
  });

  it("stores a failed call's check with neither the password nor a multi-line message", async () => {
    const url = "http://bot:s3cret@hooks.test/confirm";
    const failing = (async () => {
      throw new Error(`fetch failed for ${url}`, { cause: new Error("connect ECONNREFUSED\r\n127.0.0.1:9") });
    }) as unknown as typeof fetch;
    const check = await callWebhook({ name: "confirm", type: "rollout", url, timeout: "1s", retries: 0 }, payload, failing);
    expect(check.verdict).toBe("fail");
    expect(check.url).toBe("http://hooks.test/confirm");
    expect(check.error).toBe("request failed: fetch failed for http://hooks.test/confirm: connect ECONNREFUSED 127.0.0.1:9");
    expect(JSON.stringify(check)).not.toContain("s3cret");
  });
});
