/**
 * The buyer's and organiser's pages, bundled in memory with esbuild: the gateway builds them
 * once at start (tens of milliseconds), so `npm ci && npm start` serves them with no build step,
 * in Docker too. Asset names carry a content hash, so they can be cached for good; the HTML
 * that names them is revalidated on every load.
 */
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, stop } from 'esbuild'

export interface WebFile {
  body: Buffer | string
  type: string
}

const CLIENT_DIR = fileURLToPath(new URL('../client/', import.meta.url))

/** The paths that answer with the page itself: the script reads the path to pick its view. */
export const PAGE_PATHS = ['/', '/organiser']

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
}

function typeOf (file: string): string {
  return TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream'
}

async function bundle (): Promise<Map<string, WebFile>> {
  const result = await build({
    absWorkingDir: CLIENT_DIR,
    entryPoints: { main: 'main.ts', styles: 'styles.css' },
    entryNames: '[name]-[hash]',
    // Never written (write: false); esbuild only needs it to name the outputs.
    outdir: join(CLIENT_DIR, 'out'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  })
  const files = new Map<string, WebFile>()
  let script: string | undefined
  let styles: string | undefined
  for (const output of result.outputFiles) {
    const name = basename(output.path)
    const path = `/app/${name}`
    files.set(path, { body: Buffer.from(output.contents), type: typeOf(name) })
    if (/^main-.*\.js$/.test(name)) script = path
    if (/^styles-.*\.css$/.test(name)) styles = path
  }
  if (!script || !styles) throw new Error('esbuild produced no script or stylesheet')
  const html = (await readFile(join(CLIENT_DIR, 'index.html'), 'utf8'))
    .replace('{{script}}', script)
    .replace('{{styles}}', styles)
  for (const path of PAGE_PATHS) files.set(path, { body: html, type: 'text/html; charset=utf-8' })
  return files
}

let built: Promise<Map<string, WebFile>> | undefined

/**
 * Every file of the web app by URL path: `/` and `/organiser` (the page), `/app/*` (hashed
 * script, stylesheet and their source maps). Built once per process.
 */
export function buildWebApp (): Promise<Map<string, WebFile>> {
  built ??= bundle().finally(() => {
    // esbuild's helper process is of no more use: do not keep it beside a gateway all day.
    stop()
  })
  // A failed build may be tried again (a test, a retry), not remembered for good.
  built.catch(() => { built = undefined })
  return built
}
