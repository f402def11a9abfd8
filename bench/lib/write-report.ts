import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { renderMarkdown } from './render-markdown.ts'
import { renderSvg } from './render-svg.ts'
import type { BenchRun } from './result-types.ts'

function datePart (date: string): string {
  const match = /^(\d{4}-\d{2}-\d{2})/.exec(date)
  if (match?.[1] != null) return match[1]
  const parsed = new Date(date)
  return Number.isNaN(parsed.getTime()) ? 'undated' : parsed.toISOString().slice(0, 10)
}

function fileSafe (s: string): string {
  const safe = String(s).replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '')
  return safe === '' ? 'unknown' : safe
}

export async function writeReport (run: BenchRun, dir: string): Promise<{ json: string, markdown: string, svg: string }> {
  await mkdir(dir, { recursive: true })
  const base = `${datePart(run.date)}-${fileSafe(run.commit)}`
  const json = join(dir, `${base}.json`)
  const svg = join(dir, `${base}.svg`)
  const markdown = join(dir, `${base}.md`)
  await Promise.all([
    writeFile(json, JSON.stringify(run, null, 2) + '\n'),
    writeFile(svg, renderSvg(run)),
    writeFile(markdown, renderMarkdown(run, `${base}.svg`)),
  ])
  return { json, markdown, svg }
}
