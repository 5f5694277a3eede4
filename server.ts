// The process entry: builds Fastify with logging, registers the app, listens, and closes
// gracefully on SIGTERM/SIGINT (server:shutdown to clients, poller stopped, sockets and
// HTTP closed, exit 0; given up with exit 1 after CLOSE_GRACE_MS, inside docker stop's 10 s).
import Fastify, { LogController } from 'fastify'
import closeWithGrace from 'close-with-grace'
import { createRequire } from 'node:module'
import app from './app.js'
import { CLOSE_GRACE_MS } from './plugins/app/shutdown.js'
import { ConfigError } from './src/config.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Pretty logs for a person at a terminal, when pino-pretty (a dev dependency) is installed. */
function prettyTransport() {
  if (!process.stdout.isTTY) return undefined
  try {
    createRequire(import.meta.url).resolve('pino-pretty')
    return { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss', ignore: 'pid,hostname' } }
  } catch {
    return undefined
  }
}

async function main(): Promise<void> {
  const requestedLevel = process.env['LOG_LEVEL'] ?? 'info'
  const transport = prettyTransport()
  const server = Fastify({
    logger: {
      level: LOG_LEVELS.includes(requestedLevel) ? requestedLevel : 'info',
      // `err.command.args`: an ioredis error carries the command that failed, an AUTH's arguments being the Redis password.
      redact: {
        paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]', '*.KISMET_API_KEY', '*.KISMET_PASSWORD', '*.API_TOKEN', '*.KISMET_SENSORS', '*.WATCH_WEBHOOK_URL', '*.TAK_TLS_KEY_PASSPHRASE', '*.REDIS_URL', 'err.command.args'],
        censor: '[redacted]',
      },
      ...(transport && { transport }),
    },
    // Socket.IO keeps connections open; Fastify must not wait for them on close.
    forceCloseConnections: true,
    // Health checks and metric scrapes would flood the log; failures are logged by the error handler.
    logController: new LogController({ disableRequestLogging: true }),
  })

  try {
    await server.register(app)
    await server.ready()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`kismet-ws: ${error.message}`)
      process.exit(1)
    }
    throw error
  }

  closeWithGrace({ delay: CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) server.log.error({ err }, 'closing after an uncaught error')
    else server.log.info({ signal }, 'shutting down')
    await server.close()
  })

  const { PORT, HOST } = server.config
  try {
    await server.listen({ port: PORT, host: HOST })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    console.error(`kismet-ws: cannot listen on ${HOST}:${PORT} (${code ?? String(error)}); set PORT or HOST to a free address`)
    process.exit(1)
  }
  const shown = HOST === '0.0.0.0' || HOST === '::' ? 'localhost' : HOST
  const port = (server.server.address() as { port: number } | null)?.port ?? PORT
  server.log.info(
    `kismet-ws is up: Socket.IO at http://${shown}:${port}/socket.io, REST docs at http://${shown}:${port}/docs, health at http://${shown}:${port}/health`,
  )
}

await main()
