// Kismet's authentication as captured (auth/*.http) and as its source orders it
// (KISMET-API.md 1.2): KISMET cookie, ?KISMET= only without any Cookie header, Basic or
// ?user=&password= logins answered with a JWT cookie, roles, and the 401 page.
import t, { type Test } from 'tap'
import { KismetSimulator } from '../../sim/simulator.js'
import { rawRequest, type RawResponse } from '../support/fixtures.js'

const KEY = '21FF7DA40077B7415DD35C8C50E14CC2'
const UNAUTHORIZED = '<html><head><title>401 Permission denied</title></head><body><h1>401 Permission denied</h1><br><p>This resource requires a login or session token.</p></body></html>\n'
const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`

async function start(t: Test): Promise<{ sim: KismetSimulator; get: (path: string, headers?: Record<string, string>) => Promise<RawResponse> }> {
  const sim = new KismetSimulator({ apiKey: KEY, user: 'kismet', password: 'kismet', clock: () => 1_795_629_794_000 })
  const url = await sim.listen()
  t.teardown(() => sim.close())
  return { sim, get: (path, headers = {}) => rawRequest(url + path, { headers }) }
}

function refused(t: Test, res: RawResponse, what: string): void {
  t.equal(res.status, 401, `${what}: 401`)
  t.equal(res.text, UNAUTHORIZED, `${what}: the 165-byte page`)
  t.equal(res.headers['content-type'], 'text/html')
  t.equal(res.headers['content-length'], '165')
  t.notOk(res.headers['www-authenticate'], 'no WWW-Authenticate')
  t.notOk(res.headers['set-cookie'], 'no cookie')
}

t.test('without a valid credential every protected endpoint is refused', async (t) => {
  const { get } = await start(t)
  refused(t, await get('/system/status.json'), 'nothing')
  refused(t, await get('/system/status.json', { Cookie: 'KISMET=0000' }), 'a wrong key in the cookie')
  refused(t, await get('/system/status.json?KISMET=0000'), 'a wrong key in the query')
  refused(t, await get('/system/timestamp.json', { Authorization: `Bearer ${KEY}` }), 'Bearer (not supported)')
  refused(t, await get('/system/timestamp.json', { Authorization: basic('kismet', 'wrong') }), 'a wrong password')
  refused(t, await get('/devices/last-time/0/devices.json'), 'devices')
  refused(t, await get('/session/check_session'), 'check_session')
})

t.test('the API key: cookie, or ?KISMET= only when there is no Cookie header at all', async (t) => {
  const { get } = await start(t)
  const cookie = await get('/system/timestamp.json', { Cookie: `KISMET=${KEY}` })
  t.equal(cookie.status, 200)
  t.same(cookie.headers['set-cookie'], [`KISMET=${KEY}; Path=/`], 'the key is echoed')
  t.equal((await get('/system/timestamp.json', { Cookie: `theme=dark; KISMET=${KEY}` })).status, 200, 'among other cookies')
  const query = await get(`/system/timestamp.json?KISMET=${KEY}`)
  t.equal(query.status, 200)
  t.same(query.headers['set-cookie'], [`KISMET=${KEY}; Path=/`])
  refused(t, await get(`/system/timestamp.json?KISMET=${KEY}`, { Cookie: 'theme=dark' }), 'query key with an unrelated cookie')
  t.equal((await get('/system/timestamp.json', { Cookie: `KISMET=${KEY}`, Authorization: basic('kismet', 'wrong') })).status, 200, 'a valid token decides; Basic is not looked at')
})

t.test('the admin login: Basic or ?user=&password=, answered with a JWT cookie', async (t) => {
  const { get } = await start(t)
  const res = await get('/system/timestamp.json', { Authorization: basic('kismet', 'kismet') })
  t.equal(res.status, 200)
  const cookie = res.headers['set-cookie']?.[0] ?? ''
  const match = /^KISMET=([\w-]+)\.([\w-]+)\.([\w-]+); Path=\/$/.exec(cookie)
  if (!match) throw new Error(`not a JWT cookie: ${cookie}`)
  t.same(JSON.parse(Buffer.from(match[1] ?? '', 'base64url').toString()), { alg: 'HS256', typ: 'JWS' })
  t.same(JSON.parse(Buffer.from(match[2] ?? '', 'base64url').toString()), { created: 1_795_629_794, expires: 1_795_716_194, iss: 'kismet', name: 'web logon', role: 'admin' })
  const token = `${match[1]}.${match[2]}.${match[3]}`
  t.equal((await get('/session/check_login', { Cookie: `KISMET=${token}` })).status, 200, 'the cookie alone is an admin session')
  refused(t, await get('/system/timestamp.json', { Cookie: `KISMET=${match[1]}.${match[2]}.forged` }), 'a forged signature')
  t.equal((await get('/system/timestamp.json?user=kismet&password=kismet')).status, 200, 'query login')
  refused(t, await get('/system/timestamp.json?user=kismet&password=kismet', { Authorization: `Bearer ${KEY}` }), 'query login is not read when an Authorization header is present')
  t.equal((await get('/system/timestamp.json', { Cookie: 'KISMET=stale', Authorization: basic('kismet', 'kismet') })).status, 200, 'an unknown token falls through to Basic')
})

t.test('a restart invalidates login cookies; API keys keep working', async (t) => {
  const { sim, get } = await start(t)
  const login = await get('/system/timestamp.json', { Authorization: basic('kismet', 'kismet') })
  const cookie = (login.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? ''
  t.equal((await get('/system/timestamp.json', { Cookie: cookie })).status, 200)
  sim.restart()
  refused(t, await get('/system/timestamp.json', { Cookie: cookie }), 'the old JWT after a restart')
  t.equal((await get('/system/timestamp.json', { Cookie: `KISMET=${KEY}` })).status, 200, 'the API key')
})

t.test('session endpoints and roles', async (t) => {
  const { get } = await start(t)
  const readonly = { Cookie: `KISMET=${KEY}` }
  const admin = { Authorization: basic('kismet', 'kismet') }
  const session = await get('/session/check_session', readonly)
  t.same([session.status, session.headers['content-type'], session.text], [200, 'text/plain', 'Session valid\n'])
  refused(t, await get('/session/check_login', readonly), 'check_login with a read-only key')
  const login = await get('/session/check_login', admin)
  t.same([login.status, login.text], [200, 'Login valid\n'])
  const setup = await get('/session/check_setup_ok')
  t.same([setup.status, setup.headers['content-type'], setup.text], [200, 'text/plain', 'Login configured in user config\n'])
  t.notOk(setup.headers['set-cookie'])
  const user = await get('/system/user_status.json')
  t.same([user.status, user.headers['content-type'], JSON.parse(user.text)], [200, 'application/json', { 'kismet.system.user': 'kismet' }])
  t.equal((await get('/session/check_session.json', readonly)).status, 404, 'session routes have no extension')
})
