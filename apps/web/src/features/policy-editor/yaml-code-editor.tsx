"use client";

import { autocompletion, completionKeymap, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import { Compartment, EditorState } from "@codemirror/state";
import { EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { useEffect, useRef } from "react";
import type { PathMessage } from "./field-paths.ts";
import type { FormNode } from "./schema-form-model.ts";
import { rangeOfPath, suggestionsAt } from "./yaml-assist.ts";

/** Problems as CodeMirror diagnostics, each at the text of the field it names (or its nearest ancestor). */
export function diagnosticsFor(text: string, problems: readonly PathMessage[]): Diagnostic[] {
  return problems.flatMap((p) => {
    const range = rangeOfPath(text, p.path);
    if (!range) return [];
    const to = Math.min(Math.max(range.to, range.from + 1), text.length);
    const from = Math.min(range.from, to);
    return [{ from, to, severity: p.severity === "warning" ? "warning" : p.severity === "info" ? "info" : "error", message: p.path ? `${p.path}: ${p.message}` : p.message }];
  });
}

/**
 * The YAML tab's editor: CodeMirror 6 with YAML highlighting, completion of
 * the keys and enum values the resource's schema allows, and the schema's
 * and the manager's errors underlined at the field paths they name.
 */
export function YamlCodeEditor({ text, onChange, problems, model, readOnly, labelledBy, describedBy }: { text: string; onChange: (text: string) => void; problems: readonly PathMessage[]; model: FormNode; readOnly: boolean; labelledBy: string; describedBy?: string | undefined }) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const change = useRef(onChange);
  change.current = onChange;
  const schema = useRef(model);
  schema.current = model;
  const readOnlyCompartment = useRef(new Compartment());

  useEffect(() => {
    const complete = (context: CompletionContext): CompletionResult | null => {
      const word = context.matchBefore(/[\w.-]*/);
      if (!context.explicit && (!word || word.from === word.to)) return null;
      const found = suggestionsAt(schema.current, context.state.doc.toString(), context.pos);
      if (!found || found.options.length === 0) return null;
      return { from: found.from, options: found.options.map((o) => ({ label: o.label, apply: o.apply, detail: o.detail, ...(o.info ? { info: o.info } : {}), type: o.apply.endsWith(": ") ? "property" : "enum" })), validFor: /^[\w.-]*$/ };
    };
    const created = new EditorView({
      parent: host.current as HTMLDivElement,
      state: EditorState.create({
        doc: text,
        extensions: [
          lineNumbers(),
          history(),
          indentOnInput(),
          bracketMatching(),
          highlightActiveLine(),
          syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
          yaml(),
          lintGutter(),
          autocompletion({ override: [complete] }),
          keymap.of([...completionKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
          readOnlyCompartment.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          EditorView.contentAttributes.of({ "aria-labelledby": labelledBy, ...(describedBy ? { "aria-describedby": describedBy } : {}), "aria-multiline": "true", role: "textbox" }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) change.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // The editor is created once; text, read-only and problems are pushed in below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== text) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
  }, [text]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyCompartment.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly]);

  useEffect(() => {
    const v = view.current;
    if (v) v.dispatch(setDiagnostics(v.state, diagnosticsFor(v.state.doc.toString(), problems)));
  }, [problems, text]);

  return <div ref={host} className="yaml-code-editor" data-testid="yaml-editor" data-problems={problems.length} />;
}
