/** @jsxImportSource react */

export const WEB_VIEWS = ["agents", "swarms", "events", "budgets", "approvals"] as const;
export type WebView = (typeof WEB_VIEWS)[number];

export interface NavTabsProps {
  view: WebView;
  counts: Partial<Record<WebView, number>>;
  onView: (view: WebView) => void;
}

/** The views, `1`–`5` on the keyboard; approvals shows how many are waiting. */
export function NavTabs({ view, counts, onView }: NavTabsProps) {
  return (
    <div className="tabs" role="tablist" aria-label="views">
      {WEB_VIEWS.map((name, i) => (
        <button
          key={name}
          type="button"
          role="tab"
          id={`tab-${name}`}
          aria-selected={view === name}
          aria-controls="view"
          className={view === name ? "active" : undefined}
          onClick={() => onView(name)}
        >
          <kbd>{i + 1}</kbd> {name}
          {counts[name] ? <span className={`badge badge-${name}`}>{counts[name]}</span> : null}
        </button>
      ))}
    </div>
  );
}
