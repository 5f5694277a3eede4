// The dashboard as static files: dashboard/src/main.ts bundled by esbuild (socket.io-client
// included: no CDN, nothing fetched at run time) into <outdir>/app.js, beside index.html,
// style.css and favicon.svg. `npm run build` writes dist/dashboard, which the service serves at
// `/` (plugins/app/dashboard.ts); tests and benchmarks build their own copy.
//
//   node scripts/build-dashboard.mjs [outdir]      (default dist/dashboard)
import { copyFileSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SOURCE = join(REPO, 'dashboard')
const STATIC_FILES = ['index.html', 'style.css', 'favicon.svg']
/** Browsers from the last few years; nothing older needs to be served. */
const TARGETS = ['chrome100', 'firefox100', 'safari15', 'edge100']

/** Builds the dashboard into `outdir`; resolves with the bundle's size in bytes. */
export async function buildDashboard({ outdir = join(REPO, 'dist', 'dashboard') } = {}) {
  mkdirSync(outdir, { recursive: true })
  const result = await build({
    entryPoints: [join(SOURCE, 'src', 'main.ts')],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: TARGETS,
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
    absWorkingDir: REPO,
  })
  for (const file of STATIC_FILES) copyFileSync(join(SOURCE, file), join(outdir, file))
  return { outdir, bytes: result.metafile.outputs[Object.keys(result.metafile.outputs).find((f) => f.endsWith('app.js'))].bytes }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const outdir = process.argv[2] ? resolve(process.argv[2]) : undefined
  const { outdir: where, bytes } = await buildDashboard(outdir ? { outdir } : {})
  console.log(`dashboard: ${where} (app.js ${(bytes / 1024).toFixed(1)} KB)`)
}
