// A wide table's box: it scrolls sideways inside the page (never the page itself), and is a named,
// focusable region so keyboards can scroll it too.
export function ScrollRegion({ label, id, children }: { label: string; id?: string; children: preact.ComponentChildren }) {
  return <div class="scroll-x" role="region" aria-label={label} tabIndex={0} id={id}>{children}</div>;
}
