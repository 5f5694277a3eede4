// How the service serves the dashboard (no browser here): `/` and its files open with API_TOKEN
// set, with a Content-Security-Policy on them and on nothing else, the API's JSON 404 for
// anything else, a clear 503 when the page was not built, and the page's own origin allowed
// at the Socket.IO handshake whatever CORS_ORIGIN says.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DASHBOARD_CSP } from '../../plugins/app/dashboard.js'
import { buildApp, startApp, testEnv } from '../helper.js'
import { builtDashboard } from '../support/browser.js'
import { createClient, waitFor } from '../support/socket.js'

const dir = await builtDashboard(t)
const TOKEN = 'serving-token-123'

t.test('the page and its files: open with a token set, each with the CSP', async (t) => {
  const app = await buildApp(t, { dashboard: { dir }, env: testEnv({ API_TOKEN: TOKEN }) })
  const files: Array<[string, RegExp]> = [
    ['/', /^text\/html/],
    ['/index.html', /^text\/html/],
    ['/app.js', /javascript/],
    ['/style.css', /^text\/css/],
    ['/favicon.svg', /^image\/svg\+xml/],
  ]
  for (const [url, type] of files) {
    const res = await app.inject(url)
    t.equal(res.statusCode, 200, `${url} without a token`)
    t.match(res.headers['content-type'], type)
    t.equal(res.headers['content-security-policy'], DASHBOARD_CSP)
    t.equal(res.headers['x-content-type-options'], 'nosniff')
  }
  const page = (await app.inject('/')).body
  t.match(page, /<script type="module" src="app\.js"><\/script>/, 'one external module script')
  t.notMatch(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script')
  t.notMatch(page, /\sstyle=|\son[a-z]+=/i, 'no inline style or handler')
  t.notMatch((await app.inject('/app.js')).body, /https?:\/\/(?!127\.0\.0\.1|localhost)[a-z0-9.-]+\.[a-z]{2,}\/[^\s'"]*\.(js|css|woff2?)\b/i, 'loads nothing from another origin')

  const head = await app.inject({ method: 'HEAD', url: '/' })
  t.equal(head.statusCode, 200)

  t.equal((await app.inject('/api/kismet/ws/status')).statusCode, 401, 'the API still needs the token')
  const ok = await app.inject({ url: '/api/kismet/ws/status', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(ok.statusCode, 200)
  t.equal(ok.headers['content-security-policy'], undefined, 'the CSP is the dashboard’s alone')
  t.equal((await app.inject('/health')).headers['content-security-policy'], undefined)
  const docs = await app.inject({ url: '/docs', headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(docs.statusCode, 200)
  t.equal(docs.headers['content-security-policy'], undefined, '/docs keeps what Swagger UI needs')

  const missing = await app.inject('/no-such-file.js')
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().error.code, 'NOT_FOUND', 'anything else is the API’s JSON 404')
  t.equal((await app.inject('/../package.json')).statusCode, 404, 'nothing outside the folder')
})

t.test('not built: / says so', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'kismet-ws-nodashboard-'))
  t.teardown(() => rmSync(empty, { recursive: true, force: true }))
  const app = await buildApp(t, { dashboard: { dir: empty } })
  const res = await app.inject('/')
  t.equal(res.statusCode, 503)
  t.same(res.json(), { success: false, error: { code: 'NOT_READY', message: 'The dashboard is not built: run npm run build' } })
  t.equal((await app.inject('/health')).statusCode, 200, 'the service runs anyway')
})

t.test("the page's own origin passes the Socket.IO handshake whatever CORS_ORIGIN says", async (t) => {
  const { url } = await startApp(t, { dashboard: { dir }, env: testEnv({ CORS_ORIGIN: 'https://map.example' }) })
  /** What a browser page of `origin` gets at the Socket.IO handshake (long-polling carries the Origin header). */
  const handshake = async (origin: string): Promise<string> => {
    const client = createClient(t, url, { transports: ['polling'], extraHeaders: { origin } })
    const outcome = await Promise.race([
      waitFor(client, 'connected').then(() => 'connected'),
      waitFor<Error>(client, 'connect_error').then((error) => error.message),
    ])
    client.disconnect()
    return outcome
  }
  t.equal(await handshake(url), 'connected', 'same origin: allowed')
  t.equal(await handshake('https://map.example'), 'connected', 'a listed origin: allowed')
  t.equal(await handshake('https://evil.example'), 'origin not allowed', 'any other: refused')
  t.equal(await handshake(url.replace('127.0.0.1', 'localhost')), 'origin not allowed', 'another host name is another origin')
})
