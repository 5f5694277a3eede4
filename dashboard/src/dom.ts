// Building the page: every string is set as text (textContent), never parsed as markup, so
// an SSID such as `<img src=x onerror=alert(1)>` shows as those characters.

type Tag = keyof HTMLElementTagNameMap

export interface Props {
  class?: string
  text?: string
  title?: string
  /** data-* attributes (values are set as attribute text, never parsed). */
  data?: Record<string, string>
  attrs?: Record<string, string>
}

export function el<K extends Tag>(tag: K, props: Props = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (props.class !== undefined) node.className = props.class
  if (props.text !== undefined) node.textContent = props.text
  if (props.title !== undefined) node.title = props.title
  if (props.data) for (const [name, value] of Object.entries(props.data)) node.dataset[name] = value
  if (props.attrs) for (const [name, value] of Object.entries(props.attrs)) node.setAttribute(name, value)
  for (const child of children) node.append(child)
  return node
}

/** Sets an element's text only when it differs (a DOM write costs more than the comparison). */
export function setText(node: Node, text: string): void {
  if (node.textContent !== text) node.textContent = text
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const node = document.getElementById(id)
  if (!node) throw new Error(`the page has no #${id}`)
  return node as T
}
