/**
 * Seatline's processes run as one JavaScript file each, bundled with esbuild when they start.
 * Node runs TypeScript by loading a type stripper (amaro, swc in WebAssembly) into every
 * process that imports a .ts file: 18 MB of RSS that stays for the process's life, in every
 * gateway and worker. Bundling strips the types once, in the starting process, and the service
 * never loads it. Our own code (apps, packages, migrations) goes into the bundle; packages
 * from node_modules stay imports, resolved as usual from the repository.
 */
import { readFile, rename } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build, type Plugin, stop } from 'esbuild'

const ROOT = fileURLToPath(new URL('..', import.meta.url))

/** `import.meta.url` keeps naming the source file, so files beside it (Lua, migrations, pages) are found. */
const sourceUrls: Plugin = {
  name: 'source-import-meta-url',
  setup (build) {
    build.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8')
      return { contents: source.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' }
    })
  },
}

/** Workspace packages (@seatline/*) are ours and bundled; every other bare import stays one. */
const externalPackages: Plugin = {
  name: 'external-packages',
  setup (build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('@seatline/')) return undefined
      return { path: args.path, external: true }
    })
  },
}

const bundles = new Map<string, Promise<string>>()
/** Builds under way in this process: esbuild's one helper process serves them all. */
let building = 0

/**
 * Bundles the script at `script` (relative to the repository) and returns the bundle's path:
 * `.build/` beside the script, so that the bundle's imports resolve from the same node_modules
 * folders as the script's own (an app may have a package version of its own: the gateway's ajv).
 * Each process writes its own file and renames it into place, so processes starting together
 * never read a half-written one.
 */
export function bundleService (script: string): Promise<string> {
  let bundle = bundles.get(script)
  if (!bundle) {
    bundle = bundleOnce(script)
    bundles.set(script, bundle)
  }
  return bundle
}

async function bundleOnce (script: string): Promise<string> {
  const source = join(ROOT, script)
  const outfile = join(dirname(source), '.build', `${basename(source, '.ts')}.mjs`)
  const temporary = `${outfile}.${process.pid}.tmp`
  building++
  try {
    await build({
      absWorkingDir: ROOT,
      entryPoints: [script],
      outfile: temporary,
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      // Readable stack traces: names kept, nothing minified; each module is headed by its path.
      keepNames: true,
      plugins: [externalPackages, sourceUrls],
      logLevel: 'warning',
    })
  } finally {
    // esbuild's helper process otherwise lives as long as this one: beside every service for
    // its whole life (scripts/start.ts), or a test process. A later build starts a new one.
    if (--building === 0) await stop()
  }
  await rename(temporary, outfile)
  return outfile
}
