// The shape of the code base, checked: src/ is what ships and knows nothing of Fastify or of
// any folder beside it; the Fastify layer (app.ts, server.ts, plugins/, routes/) and the
// simulator may use src/; no module imports itself back through a cycle.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { repoRoot } from '../support/fixtures.js'

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    if (statSync(full).isDirectory()) return sourceFiles(full)
    return name.endsWith('.ts') ? [full] : []
  })
}

/** Module specifiers a file imports (static imports and re-exports, `import type` included). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+'([^']+)'/gm), ...text.matchAll(/^\s*import\s+'([^']+)'/gm)].map((m) => m[1]!)
}

/** A relative specifier resolved to the .ts file it names. */
function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  return path.resolve(path.dirname(from), specifier).replace(/\.js$/, '.ts')
}

const src = path.join(repoRoot, 'src')
const shipped = [path.join(repoRoot, 'app.ts'), path.join(repoRoot, 'server.ts'), ...['src', 'plugins', 'routes', 'sim'].flatMap((dir) => sourceFiles(path.join(repoRoot, dir)))]

t.test('src/ imports nothing outside src/ and nothing of Fastify', async (t) => {
  const outside: string[] = []
  const fastify: string[] = []
  for (const file of sourceFiles(src)) {
    for (const specifier of importsOf(file)) {
      const target = resolveLocal(file, specifier)
      if (target !== undefined && !target.startsWith(src + path.sep)) outside.push(`${path.relative(repoRoot, file)} -> ${specifier}`)
      if (/^(fastify|@fastify\/|fastify-)/.test(specifier)) fastify.push(`${path.relative(repoRoot, file)} -> ${specifier}`)
    }
  }
  t.same(outside, [], 'no import from src/ to outside it')
  t.same(fastify, [], 'no Fastify import in src/')
})

t.test('no import cycles in the shipped code and the simulator', async (t) => {
  const graph = new Map(shipped.map((file) => [file, importsOf(file).flatMap((s) => resolveLocal(file, s) ?? [])]))
  const cycles: string[] = []
  const state = new Map<string, 'visiting' | 'done'>()
  const visit = (file: string, trail: string[]): void => {
    if (state.get(file) === 'done') return
    if (state.get(file) === 'visiting') {
      cycles.push([...trail.slice(trail.indexOf(file)), file].map((f) => path.relative(repoRoot, f)).join(' -> '))
      return
    }
    state.set(file, 'visiting')
    for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...trail, file])
    state.set(file, 'done')
  }
  for (const file of graph.keys()) visit(file, [])
  t.same(cycles, [], 'no cycle')
})
