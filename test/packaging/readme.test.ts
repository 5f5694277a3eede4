// The README is the user's reference: every configuration variable, every Socket.IO event
// type and every REST route the app serves is named in it. A new one added without a word in
// the README fails here.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import Fastify from 'fastify'
import t from 'tap'
import app from '../../app.js'
import { ConfigSchema } from '../../src/config.js'
import { EVENT_TYPES } from '../../src/events.js'
import { testEnv } from '../helper.js'
import { repoRoot } from '../support/fixtures.js'

const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8')

t.test('every configuration variable is in the README', async (t) => {
  const missing = Object.keys(ConfigSchema.properties).filter((name) => !readme.includes(`\`${name}\``))
  t.same(missing, [], 'each named as `NAME`')
})

t.test('every Socket.IO event type is in the README', async (t) => {
  const missing = Object.keys(EVENT_TYPES).filter((type) => !readme.includes(`\`${type}\``))
  t.same(missing, [], 'each named as `type`')
})

t.test('every REST route is in the README', async (t) => {
  const instance = Fastify({ logger: false })
  t.teardown(() => instance.close())
  const routes: string[] = []
  instance.addHook('onRoute', (route) => {
    // HEAD routes are Fastify's twins of GET ones; the Swagger UI's routes and the
    // dashboard's files (a name with an extension) are pages, not the API.
    const methods = [route.method].flat().filter((method) => method !== 'HEAD')
    if (methods.length > 0 && !route.url.startsWith('/docs') && !/\.[a-z0-9]+$/.test(route.url)) routes.push(route.url)
  })
  await instance.register(app, { env: testEnv() })
  await instance.ready()
  t.ok(routes.length > 10, `the app's routes were seen (${routes.length})`)
  const prefix = '/api/kismet/ws'
  // The README's REST table names routes below the prefix without it, or whole.
  const documented = (url: string) => readme.includes(`\`${url}\``) || readme.includes(`${url}\``) || (url.startsWith(prefix) && readme.includes(`\`${url.slice(prefix.length)}`))
  t.same([...new Set(routes)].filter((url) => !documented(url)), [], 'each route named')
})
