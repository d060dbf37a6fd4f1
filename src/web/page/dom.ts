// DOM helpers of the inspector page. Text — token text above all, which can be
// any string ("<script>" included) — only ever goes in through textContent and
// attribute values, never as markup.

export type Child = Node | string | null | undefined | false;

export interface Props {
  readonly class?: string;
  readonly text?: string;
  readonly title?: string;
  readonly attrs?: Record<string, string | number>;
  readonly style?: Partial<Record<"background" | "color" | "width" | "height" | "left" | "top", string>>;
  readonly on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  for (const [name, value] of Object.entries(props.attrs ?? {})) node.setAttribute(name, String(value));
  for (const [name, value] of Object.entries(props.style ?? {})) if (value !== undefined) node.style.setProperty(name, value);
  for (const [name, handler] of Object.entries(props.on ?? {})) node.addEventListener(name, handler as EventListener);
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child);
  return node;
}

/** Replaces an element's children. */
export function fill(node: Element, ...children: Child[]): void {
  node.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}

let tooltip: HTMLDivElement | null = null;

/** Shows the page's one tooltip near the pointer, holding `lines` (as text). */
export function showTooltip(event: MouseEvent, lines: readonly string[]): void {
  tooltip ??= document.body.appendChild(el("div", { class: "tooltip", attrs: { role: "tooltip" } }));
  fill(tooltip, ...lines.map((line) => el("div", { text: line })));
  tooltip.hidden = false;
  const x = Math.min(event.clientX + 14, window.innerWidth - tooltip.offsetWidth - 8);
  const y = event.clientY + 16 + tooltip.offsetHeight > window.innerHeight ? event.clientY - tooltip.offsetHeight - 8 : event.clientY + 16;
  tooltip.style.left = `${Math.max(4, x)}px`;
  tooltip.style.top = `${Math.max(4, y)}px`;
}

export function hideTooltip(): void {
  if (tooltip !== null) tooltip.hidden = true;
}

/** A quoted token for sentences: visible whitespace, JSON quotes. */
export function quoted(text: string): string {
  return JSON.stringify(text);
}

export function percent(p: number): string {
  if (p === 0) return "0%";
  return p >= 0.001 ? `${(100 * p).toFixed(1)}%` : p.toExponential(1);
}
