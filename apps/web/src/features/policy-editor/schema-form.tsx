"use client";

import { createContext, useContext, type ReactNode } from "react";
import { formatPath } from "@weft/mesh-model";
import { fieldId, type FieldErrorIndex, type Path } from "./field-paths.ts";
import { getAt, moveItem, parseNumberInput, removeItem, setAt } from "./form-values.ts";
import { initialValue, type FormNode } from "./schema-form-model.ts";

interface FormContext {
  root: unknown;
  onChange: (next: unknown) => void;
  errors: FieldErrorIndex;
  readOnly: boolean;
}

const Ctx = createContext<FormContext | null>(null);
function useForm(): FormContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error("schema form field outside SchemaForm");
  return ctx;
}

function FieldMessages({ path, id }: { path: Path; id: string }) {
  const { errors } = useForm();
  const list = errors.at(path);
  if (list.length === 0) return null;
  return (
    <ul className="field-error" id={`${id}-error`} data-testid="field-error" data-error-path={formatPath(path)} role="list">
      {list.map((e, i) => (
        <li key={i}>
          {e.severity === "warning" ? "Warning: " : ""}
          {e.message}
        </li>
      ))}
    </ul>
  );
}

function describedBy(id: string, help: boolean, error: boolean): string | undefined {
  const ids = [help ? `${id}-help` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

/** A scalar input with its label, help (the schema's description) and errors. */
function ScalarField({ node, path, optional, onRemove }: { node: FormNode; path: Path; optional: boolean; onRemove?: () => void }) {
  const { root, onChange, errors, readOnly } = useForm();
  const id = fieldId(path);
  const value = getAt(root, path);
  const hasError = errors.at(path).length > 0;
  const aria = { id, "aria-invalid": hasError || undefined, "aria-describedby": describedBy(id, Boolean(node.help), hasError), "data-path": formatPath(path), disabled: readOnly };
  const set = (v: unknown) => onChange(setAt(root, path, v));
  let input: ReactNode;
  switch (node.type) {
    case "enum": {
      const options = node.options;
      input = (
        <select {...aria} value={value === undefined ? "" : String(value)} onChange={(e) => {
          const raw = e.target.value;
          if (raw === "") return set(undefined);
          const match = options.find((o) => String(o) === raw);
          set(match ?? raw);
        }}>
          {optional || value === undefined ? <option value="">{node.defaultValue !== undefined ? `(default: ${node.defaultValue})` : "(not set)"}</option> : null}
          {options.map((o) => (
            <option key={String(o)} value={String(o)}>
              {String(o)}
            </option>
          ))}
        </select>
      );
      break;
    }
    case "number":
      input = (
        <input
          {...aria}
          type="number"
          inputMode={node.integer ? "numeric" : "decimal"}
          step={node.integer ? 1 : "any"}
          min={node.minimum}
          max={node.maximum}
          placeholder={node.defaultValue !== undefined ? `default ${node.defaultValue}` : undefined}
          value={value === undefined || value === null ? "" : String(value)}
          onChange={(e) => set(parseNumberInput(e.target.value))}
        />
      );
      break;
    case "boolean":
      input = <input {...aria} type="checkbox" checked={value === true} onChange={(e) => set(e.target.checked)} />;
      break;
    case "const":
      input = <input {...aria} value={String(value ?? node.value)} readOnly disabled />;
      break;
    case "unknown":
      input = (
        <textarea
          {...aria}
          rows={3}
          defaultValue={value === undefined ? "" : JSON.stringify(value)}
          onBlur={(e) => {
            try {
              set(e.target.value.trim() === "" ? undefined : JSON.parse(e.target.value));
            } catch {
              set(e.target.value);
            }
          }}
        />
      );
      break;
    default:
      input = (
        <input
          {...aria}
          type="text"
          spellCheck={false}
          placeholder={node.type === "string" && node.defaultValue !== undefined ? `default ${node.defaultValue}` : undefined}
          value={value === undefined || value === null ? "" : String(value)}
          // An emptied optional field is left out rather than sent as "".
          onChange={(e) => set(e.target.value === "" && optional ? undefined : e.target.value)}
        />
      );
  }
  return (
    <div className="field">
      <div className="row">
        <label className="field-label" htmlFor={id}>
          {node.label}
          {optional ? null : <span aria-hidden="true"> *</span>}
        </label>
        {onRemove && !readOnly ? (
          <button type="button" className="btn btn-small" onClick={onRemove} aria-label={`Remove ${node.label}`}>
            Remove
          </button>
        ) : null}
      </div>
      {input}
      {node.help ? (
        <p className="field-help" id={`${id}-help`}>
          {node.help}
        </p>
      ) : null}
      <FieldMessages path={path} id={id} />
    </div>
  );
}

function ObjectFields({ node, path }: { node: FormNode & { type: "object" }; path: Path }) {
  const { root, onChange, readOnly } = useForm();
  const value = (getAt(root, path) ?? {}) as Record<string, unknown>;
  const present = node.fields.filter((f) => f.required || value[f.key] !== undefined);
  const absent = node.fields.filter((f) => !f.required && value[f.key] === undefined && f.node.type !== "const");
  const scalars = present.filter((f) => !["object", "array", "record", "union"].includes(f.node.type));
  const nested = present.filter((f) => ["object", "array", "record", "union"].includes(f.node.type));
  return (
    <>
      {scalars.length ? (
        <div className="form-grid">
          {scalars.map((f) => (
            <ScalarField key={f.key} node={f.node} path={[...path, f.key]} optional={!f.required} onRemove={f.required ? undefined : () => onChange(setAt(root, [...path, f.key], undefined))} />
          ))}
        </div>
      ) : null}
      {nested.map((f) => (
        <Node key={f.key} node={f.node} path={[...path, f.key]} optional={!f.required} />
      ))}
      {absent.length && !readOnly ? (
        <div className="row">
          <label className="field-help" htmlFor={`${fieldId(path)}-add`}>
            Add optional field
          </label>
          <select
            id={`${fieldId(path)}-add`}
            value=""
            onChange={(e) => {
              const f = node.fields.find((x) => x.key === e.target.value);
              if (f) onChange(setAt(root, [...path, f.key], initialValue(f.node)));
            }}
          >
            <option value="">Choose…</option>
            {absent.map((f) => (
              <option key={f.key} value={f.key}>
                {f.node.label}
              </option>
            ))}
          </select>
        </div>
      ) : null}
    </>
  );
}

/** One node of the form: objects and arrays as fieldsets, scalars as labelled inputs. */
function Node({ node, path, optional, onRemove, legend }: { node: FormNode; path: Path; optional: boolean; onRemove?: () => void; legend?: string }) {
  const { root, onChange, errors, readOnly } = useForm();
  const id = fieldId(path);
  const title = legend ?? node.label;
  const removeOptional = optional && !readOnly ? () => onChange(setAt(root, path, undefined)) : undefined;
  const remove = onRemove ?? removeOptional;
  const header = (
    <legend>
      {title}
      {errors.countUnder(path) > 0 ? <span className="badge" data-tone="critical"> {errors.countUnder(path)} problem(s)</span> : null}
      {remove ? (
        <>
          {" "}
          <button type="button" className="btn btn-small" onClick={remove} aria-label={`Remove ${title}`}>
            Remove
          </button>
        </>
      ) : null}
    </legend>
  );
  switch (node.type) {
    case "object":
      return (
        <fieldset className="form-object" data-path={formatPath(path)} aria-describedby={node.help ? `${id}-help` : undefined}>
          {header}
          {node.help ? (
            <p className="field-help" id={`${id}-help`}>
              {node.help}
            </p>
          ) : null}
          <FieldMessages path={path} id={id} />
          <ObjectFields node={node} path={path} />
        </fieldset>
      );
    case "union": {
      const value = getAt(root, path) as Record<string, unknown> | undefined;
      const current = value?.[node.discriminator];
      const variant = node.variants.find((v) => v.value === current);
      const selectId = `${id}-variant`;
      return (
        <fieldset className="form-object" data-path={formatPath(path)}>
          {header}
          <div className="field">
            <label className="field-label" htmlFor={selectId}>
              {node.discriminator === "type" ? "Type" : node.discriminator}
            </label>
            <select
              id={selectId}
              data-path={formatPath([...path, node.discriminator])}
              disabled={readOnly}
              value={variant?.value ?? ""}
              onChange={(e) => {
                const v = node.variants.find((x) => x.value === e.target.value);
                if (v) onChange(setAt(root, path, initialValue(v.node)));
              }}
            >
              {!variant ? <option value="">Choose…</option> : null}
              {node.variants.map((v) => (
                <option key={v.value} value={v.value}>
                  {v.label}
                </option>
              ))}
            </select>
            {node.help ? <p className="field-help">{node.help}</p> : null}
          </div>
          <FieldMessages path={path} id={id} />
          {variant ? <ObjectFields node={{ ...variant.node, fields: variant.node.fields.filter((f) => f.key !== node.discriminator) }} path={path} /> : null}
        </fieldset>
      );
    }
    case "array": {
      const list = (getAt(root, path) as unknown[] | undefined) ?? [];
      const full = node.maxItems !== undefined && list.length >= node.maxItems;
      return (
        <fieldset className="form-object" data-path={formatPath(path)}>
          {header}
          {node.help ? <p className="field-help">{node.help}</p> : null}
          <FieldMessages path={path} id={id} />
          {list.map((_, i) => {
            const itemPath = [...path, i];
            const label = `${node.item.label} ${i + 1}`;
            const controls = readOnly ? null : (
              <span className="row">
                <button type="button" className="btn btn-small" onClick={() => onChange(moveItem(root, itemPath, -1))} disabled={i === 0} aria-label={`Move ${label} up`}>
                  ↑
                </button>
                <button type="button" className="btn btn-small" onClick={() => onChange(moveItem(root, itemPath, 1))} disabled={i === list.length - 1} aria-label={`Move ${label} down`}>
                  ↓
                </button>
                <button type="button" className="btn btn-small" onClick={() => onChange(removeItem(root, itemPath))} aria-label={`Remove ${label}`}>
                  Remove
                </button>
              </span>
            );
            const scalar = !["object", "array", "record", "union"].includes(node.item.type);
            return (
              <div className="form-array-item" key={i}>
                <div className="form-array-item-header">
                  <span>{label}</span>
                  {controls}
                </div>
                {scalar ? <ScalarField node={{ ...node.item, label }} path={itemPath} optional={false} /> : <Node node={node.item} path={itemPath} optional={false} legend={label} />}
              </div>
            );
          })}
          {readOnly ? null : (
            <div>
              <button type="button" className="btn btn-small" disabled={full} onClick={() => onChange(setAt(root, path, [...list, initialValue(node.item)]))}>
                Add {node.item.label.toLowerCase()}
              </button>
            </div>
          )}
        </fieldset>
      );
    }
    case "record": {
      const value = (getAt(root, path) as Record<string, unknown> | undefined) ?? {};
      const entries = Object.entries(value);
      return (
        <fieldset className="form-object" data-path={formatPath(path)}>
          {header}
          {node.help ? <p className="field-help">{node.help}</p> : null}
          <FieldMessages path={path} id={id} />
          {entries.map(([k, v], i) => (
            <div className="row" key={i}>
              <label className="visually-hidden" htmlFor={`${id}-k${i}`}>
                Key {i + 1}
              </label>
              <input
                id={`${id}-k${i}`}
                value={k}
                disabled={readOnly}
                onChange={(e) => {
                  const next = Object.fromEntries(entries.map(([ok, ov], j) => (j === i ? [e.target.value, ov] : [ok, ov])));
                  onChange(setAt(root, path, next));
                }}
              />
              <label className="visually-hidden" htmlFor={`${id}-v${i}`}>
                Value of {k}
              </label>
              <input id={`${id}-v${i}`} value={String(v ?? "")} disabled={readOnly} onChange={(e) => onChange(setAt(root, [...path, k], e.target.value))} />
              {readOnly ? null : (
                <button type="button" className="btn btn-small" onClick={() => onChange(setAt(root, [...path, k], undefined))} aria-label={`Remove ${k}`}>
                  Remove
                </button>
              )}
            </div>
          ))}
          {readOnly ? null : (
            <div>
              <button type="button" className="btn btn-small" onClick={() => onChange(setAt(root, path, { ...value, [`key${entries.length + 1}`]: "" }))}>
                Add entry
              </button>
            </div>
          )}
        </fieldset>
      );
    }
    default:
      return <ScalarField node={node} path={path} optional={optional} onRemove={remove} />;
  }
}

/** A form generated from a schema's form model, editing `value` (the whole document). */
export function SchemaForm({ model, value, onChange, errors, readOnly }: { model: FormNode; value: unknown; onChange: (next: unknown) => void; errors: FieldErrorIndex; readOnly: boolean }) {
  if (model.type !== "object") return <p>Unsupported schema</p>;
  return (
    <Ctx.Provider value={{ root: value, onChange, errors, readOnly }}>
      <div className="stack" data-testid="schema-form">
        {model.fields
          .filter((f) => f.node.type !== "const")
          .map((f) => (
            <Node key={f.key} node={f.node} path={[f.key]} optional={!f.required} />
          ))}
      </div>
    </Ctx.Provider>
  );
}
