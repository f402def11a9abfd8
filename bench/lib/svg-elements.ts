// SVG elements written by hand as strings: the chart needs no dependency.
import { finite } from './format.ts'

const INK = '#111827'

export function escapeXml (s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&': return '&amp;'
      case '<': return '&lt;'
      case '>': return '&gt;'
      case '"': return '&quot;'
      default: return '&apos;'
    }
  })
}

/** A coordinate: finite, one decimal. */
function n (x: number): string {
  return String(finite(x) ? Math.round(x * 10) / 10 : 0)
}

/** Roughly how wide a string of 12px sans-serif is. */
export function textWidth (s: string): number {
  return s.length * 7
}

interface TextOptions { anchor?: 'start' | 'middle' | 'end', weight?: 'bold', fill?: string }

export function svgText (x: number, y: number, s: string, o: TextOptions = {}): string {
  const attrs = [`x="${n(x)}"`, `y="${n(y)}"`]
  if (o.anchor != null && o.anchor !== 'start') attrs.push(`text-anchor="${o.anchor}"`)
  if (o.weight != null) attrs.push(`font-weight="${o.weight}"`)
  attrs.push(`fill="${o.fill ?? INK}"`)
  return `<text ${attrs.join(' ')}>${escapeXml(s)}</text>`
}

export function svgRect (x: number, y: number, w: number, h: number, fill: string, title?: string): string {
  const attrs = `x="${n(x)}" y="${n(y)}" width="${n(Math.max(0, w))}" height="${n(Math.max(0, h))}" fill="${fill}"`
  return title == null ? `<rect ${attrs}/>` : `<rect ${attrs}><title>${escapeXml(title)}</title></rect>`
}

export function svgLine (x1: number, y1: number, x2: number, y2: number, stroke: string): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="1"/>`
}
