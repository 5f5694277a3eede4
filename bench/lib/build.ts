// `npm run build` when dist/ is missing or older than the sources it is built from.
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { REPO_DIR } from './ipc.js'

function newestSource(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path))
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

/** What `npm start` and the container run. */
export const PRODUCTION_ENTRY = 'dist/server.bundle.mjs'

export function ensureBuilt(log: (line: string) => void): 'fresh' | 'built' {
  const entry = resolve(REPO_DIR, PRODUCTION_ENTRY)
  const sources = Math.max(...['src', 'plugins', 'routes'].map((d) => newestSource(resolve(REPO_DIR, d))))
  if (existsSync(entry) && statSync(entry).mtimeMs >= sources) return 'fresh'
  log('  building (dist is missing or older than the sources): tsc -p tsconfig.build.json, then the bundle')
  execFileSync(process.execPath, [resolve(REPO_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: REPO_DIR, stdio: 'inherit' })
  execFileSync(process.execPath, [resolve(REPO_DIR, 'scripts/bundle.mjs')], { cwd: REPO_DIR, stdio: 'inherit' })
  return 'built'
}
