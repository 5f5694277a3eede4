// The live dashboard at `/`: the static files `npm run build` puts in dist/dashboard
// (scripts/build-dashboard.mjs), served as they are. app.ts registers this outside the token
// check: a browser cannot send a bearer token on a page load, so the page itself asks for the
// token and sends it on its REST and Socket.IO calls, which are checked as any other.
//
// Every response of this context carries a Content-Security-Policy that allows scripts,
// styles, images and connections from this origin only and no inline script at all: a string
// from the air that ever reached the DOM as markup could run nothing. It is scoped to these
// routes (this plugin is encapsulated), so /docs keeps what Swagger UI needs.
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync } from 'fastify'
import fastifyStatic from '@fastify/static'
import { errorBody } from './errors.js'

export interface DashboardOptions {
  /** The built dashboard's folder (default: dist/dashboard, found from where this code runs). */
  dir?: string
}

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** A folder holding a built dashboard (the sources in dashboard/ have no app.js). */
const isBuilt = (dir: string) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'app.js'))

/**
 * Where the build put the page, seen from this module: dist/ itself when it runs bundled
 * (dist/server.bundle.mjs), dist/plugins/app when compiled by tsc, plugins/app as source.
 */
export function findDashboard(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url))
  return [resolve(here, 'dashboard'), resolve(here, '../../dashboard'), resolve(here, '../../dist/dashboard')].find(isBuilt)
}

const dashboard: FastifyPluginAsync<DashboardOptions> = async (app, opts) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', DASHBOARD_CSP)
    reply.header('x-content-type-options', 'nosniff')
    reply.header('referrer-policy', 'no-referrer')
  })

  const dir = opts.dir ?? findDashboard()
  if (dir === undefined || !isBuilt(dir)) {
    app.log.warn('The dashboard is not built (npm run build makes dist/dashboard): GET / answers 503')
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.code(503).send(errorBody('NOT_READY', 'The dashboard is not built: run npm run build')),
    )
    return
  }
  // One route per built file (no wildcard: everything else keeps the API's JSON 404), and
  // index.html at `/`.
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: 'index.html', decorateReply: false, schemaHide: true })
}

export default dashboard
