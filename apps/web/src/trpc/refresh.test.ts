import { QueryClient, QueryObserver } from "@tanstack/react-query";
import { afterEach, describe, expect, it } from "vitest";
import { refreshAfterChange } from "./refresh.ts";

// A list whose first fetch reads the store at once but answers only when released (as a call held up
// by a slower one in its batch); every later fetch answers at once.
function slowFirstList(store: { value: string[] }) {
  let release!: () => void;
  const released = new Promise<void>((done) => (release = done));
  let calls = 0;
  const queryFn = async () => {
    calls += 1;
    const read = [...store.value];
    if (calls === 1) await released;
    return read;
  };
  return { queryFn, release, calls: () => calls };
}

describe("refreshAfterChange", () => {
  const clients: QueryClient[] = [];
  afterEach(() => clients.splice(0).forEach((c) => c.clear()));

  async function scenario(refresh: (client: QueryClient) => Promise<void>) {
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    clients.push(client);
    const store = { value: [] as string[] };
    const list = slowFirstList(store);
    const observer = new QueryObserver(client, { queryKey: ["namespaces", "protected"], queryFn: list.queryFn });
    const unsubscribe = observer.subscribe(() => undefined);
    await Promise.resolve();
    // The user's change is saved while the page's first fetch (which read the empty list) is still out.
    store.value = ["shop"];
    const refreshed = refresh(client);
    list.release();
    await refreshed;
    await new Promise((done) => setTimeout(done, 0));
    const shown = observer.getCurrentResult().data;
    unsubscribe();
    return { shown, fetches: list.calls() };
  }

  it("shows the change when the list's first fetch was still out when it was saved", async () => {
    const { shown, fetches } = await scenario((client) => refreshAfterChange(client, { queryKey: ["namespaces"] }));
    expect(shown).toEqual(["shop"]);
    expect(fetches).toBe(2);
  });

  it("is needed: plain invalidateQueries keeps the first fetch's answer (TanStack/query#8530)", async () => {
    // If React Query starts refetching here, this fails, and refreshAfterChange can go.
    const { shown, fetches } = await scenario((client) => client.invalidateQueries({ queryKey: ["namespaces"] }));
    expect(shown).toEqual([]);
    expect(fetches).toBe(1);
  });

  it("refetches a list that had already loaded", async () => {
    const client = new QueryClient();
    clients.push(client);
    let value = ["a"];
    const observer = new QueryObserver(client, { queryKey: ["users"], queryFn: async () => [...value] });
    const unsubscribe = observer.subscribe(() => undefined);
    await client.fetchQuery({ queryKey: ["users"], queryFn: async () => [...value] });
    value = ["a", "b"];
    await refreshAfterChange(client, { queryKey: ["users"] });
    expect(observer.getCurrentResult().data).toEqual(["a", "b"]);
    unsubscribe();
  });
});
