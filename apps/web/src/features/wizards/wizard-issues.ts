// Where a wizard shows the schema's issues: each under the field whose
// resource path it names (or a path under it), the rest in a list above the
// Review button. The issues are mesh-model's own (validateResource), so the
// form refuses what the manager would refuse, with the manager's message.
import { formatPath, validateResource, type ValidationIssue } from "@weft/mesh-model";
import { parsePath } from "../policy-editor/field-paths.ts";

const normal = (path: string) => formatPath(parsePath(path));
const under = (path: string, field: string) => path === field || path.startsWith(`${field}.`) || path.startsWith(`${field}[`);

/** The issues of a wizard's document, placed at the fields that show them. */
export class WizardIssues {
  readonly all: readonly ValidationIssue[];
  private readonly fields: readonly string[];

  /** `fields`: the resource paths the form has inputs for. */
  constructor(issues: readonly ValidationIssue[], fields: readonly string[]) {
    this.all = issues.map((i) => ({ ...i, path: normal(i.path) }));
    this.fields = fields.map(normal);
  }

  /**
   * The schema's issues of `document` (none when it validates), as the
   * manager would see it: through JSON, where an empty number box (NaN)
   * arrives as null.
   */
  static of(document: unknown, fields: readonly string[]): WizardIssues {
    const r = validateResource(JSON.parse(JSON.stringify(document)) as unknown);
    return new WizardIssues(r.ok ? [] : r.issues, fields);
  }

  /** The first message at `field` or under it. */
  at(field: string): string | undefined {
    const f = normal(field);
    return this.all.find((i) => under(i.path, f))?.message;
  }

  /** Issues no field shows (the fault as a whole, another rule of the route): listed with their path. */
  unplaced(): ValidationIssue[] {
    return this.all.filter((i) => !this.fields.some((f) => under(i.path, f)));
  }

  get ok(): boolean {
    return this.all.length === 0;
  }
}
