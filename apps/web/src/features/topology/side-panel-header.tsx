"use client";

/** The heading row of a topology side panel (live or replay): what is selected, and the close button. */
export function SidePanelHeader({ title, headingId, onClose }: { title: string; headingId: string; onClose: () => void }) {
  return (
    <div className="panel-header">
      <h2 id={headingId}>{title}</h2>
      <button type="button" className="btn btn-small" onClick={onClose} aria-label="Close details">
        Close
      </button>
    </div>
  );
}
