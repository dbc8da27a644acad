"use client";

import type { ReactNode } from "react";

/** A column heading: its text, or the text plus how the column is shown. */
export type DataColumn =
  | string
  | {
      label: string;
      /** Right-aligned figures (`num`). */
      numeric?: boolean;
      /** Read to screen readers only, e.g. the heading of a column of buttons. */
      hidden?: boolean;
    };

/** Heading cell of one column: `numeric` right-aligns, `hidden` leaves the text to screen readers. */
function ColumnHeading({ column }: { column: DataColumn }) {
  if (typeof column === "string") return <th scope="col">{column}</th>;
  return <th scope="col" {...(column.numeric ? { className: "num" } : {})}>{column.hidden ? <span className="visually-hidden">{column.label}</span> : column.label}</th>;
}

/**
 * The dashboard's data table: a header row of column headings over the rows
 * the caller renders. `panel` gives a table standing alone on a page the panel frame.
 */
export function DataTable({ columns, testId, panel = false, children }: { columns: readonly DataColumn[]; testId: string; panel?: boolean; children: ReactNode }) {
  return (
    <table className={panel ? "table panel" : "table"} data-testid={testId}>
      <thead>
        <tr>
          {columns.map((column) => (
            <ColumnHeading key={typeof column === "string" ? column : column.label} column={column} />
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  );
}

/** A row spanning the whole table, under the row it expands (a diff, a details form). */
export function DetailRow({ span, children }: { span: number; children: ReactNode }) {
  return (
    <tr>
      <td colSpan={span}>{children}</td>
    </tr>
  );
}
