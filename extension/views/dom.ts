/**
 * Small DOM builders shared by the views. Text is always added as text nodes,
 * never parsed as markup: payload strings can hold anything.
 */

/** What every view returns: call `dispose()` to remove it and its listeners. */
export interface View {
  dispose(): void;
}

type Child = Node | string | null | undefined | false;

/** Attributes: strings and numbers are set as attributes; functions are not accepted (use addEventListener). */
export type Attrs = Record<string, string | number | boolean | null | undefined>;

function setAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    el.setAttribute(k, v === true ? '' : String(v));
  }
}

function append(el: Element, children: Child[]): void {
  const doc = el.ownerDocument;
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
  }
}

/** An HTML element in `doc`, with attributes and children (strings become text nodes). */
export function h(doc: Document, tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement {
  const el = doc.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element in `doc`, with attributes and children (strings become text nodes). */
export function s(doc: Document, tag: string, attrs?: Attrs, ...children: Child[]): SVGElement {
  const el = doc.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The live view on each host element, so rendering again replaces it rather than stacking a second one. */
const current = new WeakMap<HTMLElement, View>();

/**
 * Starts a view on `host`: disposes the view already there (if any), empties
 * the host and registers `view` as its current one.
 */
export function mount(host: HTMLElement, root: HTMLElement, view: View): View {
  current.get(host)?.dispose();
  host.replaceChildren(root);
  const wrapped: View = {
    dispose() {
      if (current.get(host) === wrapped) current.delete(host);
      view.dispose();
      root.remove();
    },
  };
  current.set(host, wrapped);
  return wrapped;
}

/** The view currently drawn on `host`, if any. */
export function currentView(host: HTMLElement): View | undefined {
  return current.get(host);
}

/**
 * Runs `build`; if it throws (a payload malformed in a way the view did not
 * foresee), shows a readable message in place of the view instead of breaking
 * the output area.
 */
export function safely(host: HTMLElement, kind: string, build: () => View): View {
  try {
    return build();
  } catch (err) {
    const doc = host.ownerDocument;
    const root = h(
      doc,
      'div',
      { class: 'gradlab-figure gradlab-view-error', 'data-gradlab-view': kind, role: 'alert' },
      h(doc, 'strong', {}, `gradlab could not draw this ${kind}: `),
      String(err instanceof Error ? err.message : err),
    );
    return mount(host, root, { dispose() {} });
  }
}
