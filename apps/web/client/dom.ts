/** Small DOM helpers shared by the pages. */

export function byId<T extends HTMLElement = HTMLElement> (id: string): T {
  const el = document.getElementById(id)
  if (!el) throw new Error(`#${id} is missing from index.html`)
  return el as T
}

/** Shows a message in a live region; `error` styles it as a refusal. */
export function say (el: HTMLElement, text: string, kind: 'info' | 'error' | 'success' = 'info'): void {
  el.textContent = text
  el.dataset.kind = kind
}

/** m:ss, never negative. */
export function formatCountdown (ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000))
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`
}

export function formatPrice (cents: number | null): string {
  return cents === null ? '' : (cents / 100).toLocaleString(undefined, { minimumFractionDigits: 2, maximumFractionDigits: 2 })
}

export function el<K extends keyof HTMLElementTagNameMap> (tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props)
  node.append(...children)
  return node
}
