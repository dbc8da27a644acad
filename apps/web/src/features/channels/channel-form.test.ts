import { describe, expect, it } from "vitest";
import { channelInputOf } from "./channel-form.ts";

describe("the channel form", () => {
  it("makes a webhook without a secret (the manager generates one)", () => {
    expect(channelInputOf({ type: "WEBHOOK", name: "hooks", severities: ["page"], namespaces: "shop, billing", values: { url: "https://hooks.example.com/weft" } })).toEqual({
      ok: true,
      input: { type: "WEBHOOK", name: "hooks", severities: ["page"], namespaces: ["shop", "billing"], config: { url: "https://hooks.example.com/weft" } },
    });
  });

  it("puts secrets apart from settings", () => {
    const r = channelInputOf({ type: "GITHUB", name: "gh", severities: [], namespaces: "", values: { repository: "acme/shop", token: "ghp_x", apiUrl: "" } });
    expect(r).toEqual({ ok: true, input: { type: "GITHUB", name: "gh", severities: [], namespaces: [], config: { repository: "acme/shop" }, secrets: { token: "ghp_x" } } });
  });

  it("names the fields that are wrong", () => {
    const r = channelInputOf({ type: "JIRA", name: "Jira!", severities: [], namespaces: "", values: { baseUrl: "not a url", projectKey: "ops", token: "t" } });
    expect(r.ok ? [] : r.issues.map((i) => i.path).sort()).toEqual(["config.baseUrl", "config.projectKey", "name"]);
  });
});
