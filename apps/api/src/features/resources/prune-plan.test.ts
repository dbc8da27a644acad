import type { Resource } from "@weft/mesh-model";
import { describe, expect, it } from "vitest";
import { planPrune } from "./prune-plan.ts";
import type { StoredResource } from "./resources.repository.ts";

const policy = (name: string, labels?: Record<string, string>, namespace = "shop"): Resource =>
  ({ apiVersion: "weft.io/v1alpha1", kind: "TrafficPolicy", metadata: { name, namespace, ...(labels && { labels }) }, spec: { targetRef: { name } } }) as unknown as Resource;
const stored = (document: Resource | null, deleted = false): StoredResource => ({
  id: "x",
  kind: document?.kind ?? "TrafficPolicy",
  namespace: "shop",
  name: document?.metadata.name ?? "gone",
  revision: 1,
  deleted,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  document,
});

const SHOP = { app: "shop" };
const LIVE = [
  stored(policy("cart", SHOP)),
  stored(policy("catalog", { app: "shop", tier: "back" })),
  stored(policy("ledger", { app: "payments" })),
  stored(policy("legacy")),
  stored(policy("orders", SHOP, "orders")),
  stored(null, true),
];

describe("planPrune", () => {
  it.each([
    ["deletes what the folder no longer declares, within the selector", [policy("cart", SHOP)], SHOP, ["TrafficPolicy/orders/orders", "TrafficPolicy/shop/catalog"]],
    ["deletes nothing when the folder declares everything the selector covers", [policy("cart", SHOP), policy("catalog", SHOP), policy("orders", SHOP, "orders")], SHOP, []],
    ["never touches resources outside the selector (other labels, no labels)", [], { app: "payments" }, ["TrafficPolicy/shop/ledger"]],
    ["needs every label of the selector", [], { app: "shop", tier: "back" }, ["TrafficPolicy/shop/catalog"]],
    ["keeps a resource the folder declares in another namespace apart from one of the same name", [policy("orders", SHOP, "shop")], SHOP, ["TrafficPolicy/orders/orders", "TrafficPolicy/shop/cart", "TrafficPolicy/shop/catalog"]],
  ])("%s", (_name, declared, selector, expected) => {
    const plan = planPrune(LIVE, declared, selector);
    expect(plan.ok && plan.deletions.map((r) => `${r.kind}/${r.namespace}/${r.name}`)).toEqual(expected);
  });

  it("refuses documents that do not carry the selector's labels, naming each", () => {
    const plan = planPrune(LIVE, [policy("cart", SHOP), policy("new"), policy("other", { app: "payments" })], SHOP);
    expect(plan).toEqual({
      ok: false,
      issues: [
        { path: "metadata.labels", code: "prune_selector_mismatch", document: 1, message: "TrafficPolicy/shop/new does not carry the prune selector's labels (app=shop): a later prune of this folder would delete it" },
        { path: "metadata.labels", code: "prune_selector_mismatch", document: 2, message: "TrafficPolicy/shop/other does not carry the prune selector's labels (app=shop): a later prune of this folder would delete it" },
      ],
    });
  });
});
