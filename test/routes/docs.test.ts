// The API docs with API_TOKEN set: the page, its assets and the OpenAPI document load without
// the token (a browser cannot send one on a page load); the document declares the bearer
// scheme on exactly the operations that need it; and the requests "Try it out" makes from it,
// with the token, are answered. Every operation is tagged by area.
import t from 'tap'
import { startApp, testEnv } from '../helper.js'

const TOKEN = 'docs-token-0123456789'

interface Operation {
  tags?: string[]
  security?: Array<Record<string, string[]>>
  responses: Record<string, unknown>
}
interface OpenApiDocument {
  tags: Array<{ name: string }>
  components?: { securitySchemes?: Record<string, unknown> }
  paths: Record<string, Record<string, Operation>>
}

function operations(doc: OpenApiDocument): Array<{ method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })))
}

/** Example values for path parameters, as a person would type them into Swagger UI. */
const EXAMPLE_PARAMS: Record<string, string> = { mac: '00:11:22:33:44:55' }

t.test('with API_TOKEN: /docs, its assets and /docs/json load without the token', async (t) => {
  const { url } = await startApp(t, { env: testEnv({ API_TOKEN: TOKEN }) })
  const page = await fetch(`${url}/docs`)
  t.equal(page.status, 200, '/docs')
  const html = await page.text()
  t.match(html, /swagger-ui/i)
  // Everything the page loads (scripts, styles), relative to /docs/.
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => new URL(m[1]!, `${url}/docs/`).href).filter((a) => a.startsWith(url))
  t.ok(assets.length >= 3, `the page loads its assets (${assets.length})`)
  for (const asset of assets) t.equal((await fetch(asset)).status, 200, `${new URL(asset).pathname} without the token`)
  const initializer = assets.find((a) => a.endsWith('swagger-initializer.js'))
  t.ok(initializer, 'the initializer')
  t.match(await (await fetch(initializer!)).text(), /\.\/json/, 'which reads the document at /docs/json')
  t.equal((await fetch(`${url}/docs/json`)).status, 200, '/docs/json')
})

t.test('with API_TOKEN: bearer auth declared on exactly the protected operations, and "Try it out" works with the token', async (t) => {
  const { url } = await startApp(t, { env: testEnv({ API_TOKEN: TOKEN }) })
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as OpenApiDocument
  t.same(doc.components?.securitySchemes, { bearer: { type: 'http', scheme: 'bearer', description: 'The API_TOKEN the service was started with' } })
  const all = operations(doc)
  t.ok(all.length >= 7, 'every operation is documented')
  for (const { method, path, op } of all) {
    const concrete = path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeURIComponent(EXAMPLE_PARAMS[name] ?? 'x'))
    const request = (headers: Record<string, string>) => fetch(`${url}${concrete}`, { method: method.toUpperCase(), headers })
    const anonymous = await request({})
    if (path === '/health') {
      t.equal(op.security, undefined, '/health declares no security')
      t.equal(anonymous.status, 200, '/health is open')
      continue
    }
    t.same(op.security, [{ bearer: [] }], `${method} ${path} declares the bearer scheme`)
    t.ok(op.responses['401'], `${method} ${path} documents its 401`)
    t.equal(anonymous.status, 401, `${method} ${path} without the token: 401`)
    // What Swagger UI sends once authorized: the bearer token on the operation's request.
    const authorized = await request({ authorization: `Bearer ${TOKEN}` })
    t.not(authorized.status, 401, `${method} ${path} with the token: ${authorized.status}`)
    t.ok(op.responses[String(authorized.status)], `${method} ${path}: ${authorized.status} is a documented answer`)
  }
})

t.test('without API_TOKEN no operation declares a security scheme', async (t) => {
  const { url } = await startApp(t)
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as OpenApiDocument
  t.equal(doc.components?.securitySchemes, undefined, 'no scheme')
  for (const { method, path, op } of operations(doc)) {
    t.equal(op.security, undefined, `${method} ${path}`)
    t.notOk(op.responses['401'], `${method} ${path} has no 401`)
  }
})

t.test('every operation carries one tag, declared in the document', async (t) => {
  const { url } = await startApp(t, { env: testEnv({ API_TOKEN: TOKEN }) })
  const doc = (await (await fetch(`${url}/docs/json`)).json()) as OpenApiDocument
  const declared = new Set(doc.tags.map((tag) => tag.name))
  t.same([...declared].sort(), ['devices', 'health', 'monitoring', 'status', 'watchlist'])
  const byTag: Record<string, string[]> = {}
  for (const { method, path, op } of operations(doc)) {
    t.equal(op.tags?.length, 1, `${method} ${path} has one tag`)
    const tag = op.tags?.[0] ?? '(none)'
    t.ok(declared.has(tag), `${method} ${path}: ${tag} is declared`)
    ;(byTag[tag] ??= []).push(path)
  }
  t.same(byTag['health']?.sort(), ['/health', '/ready'])
  t.same(byTag['monitoring']?.sort(), ['/api/kismet/ws/stats', '/metrics'])
})
