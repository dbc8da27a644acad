import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { DataTable, DetailRow, type DataColumn } from "./data-table.tsx";

const render = (columns: DataColumn[], panel = false) =>
  renderToStaticMarkup(createElement(DataTable, { columns, testId: "t", panel, children: createElement("tr", null, createElement("td", null, "row")) }));

describe("DataTable", () => {
  it.each([
    { name: "plain heading", column: "When" as DataColumn, heading: '<th scope="col">When</th>' },
    { name: "numeric heading", column: { label: "p99", numeric: true }, heading: '<th scope="col" class="num">p99</th>' },
    { name: "screen-reader-only heading", column: { label: "Actions", hidden: true }, heading: '<th scope="col"><span class="visually-hidden">Actions</span></th>' },
  ])("renders a $name", ({ column, heading }) => {
    expect(render([column])).toBe(`<table class="table" data-testid="t"><thead><tr>${heading}</tr></thead><tbody><tr><td>row</td></tr></tbody></table>`);
  });

  it("frames a table standing alone as a panel", () => {
    expect(render(["A"], true)).toContain('<table class="table panel" data-testid="t">');
  });
});

describe("DetailRow", () => {
  it("spans the columns it is given", () => {
    expect(renderToStaticMarkup(createElement(DetailRow, { span: 5, children: "details" }))).toBe('<tr><td colSpan="5">details</td></tr>');
  });
});
