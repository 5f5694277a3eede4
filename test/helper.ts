// Builds the real app for a test — on a real port, against a Kismet simulator when asked —
// and closes everything when the test ends.
import Fastify, { type FastifyInstance } from 'fastify'
import app, { type AppOptions } from '../app.js'
import type { LogCapture } from './support/logs.js'

export interface TestLike {
  teardown(fn: () => unknown): void
}

export const TEST_API_KEY = '0123456789ABCDEF0123456789ABCDEF'

/** Environment for a test app: quiet, on loopback, fast timers unless the test says otherwise. */
export function testEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    HOST: '127.0.0.1',
    PORT: '0',
    KISMET_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...overrides,
  }
}

export interface TestAppOptions extends AppOptions {
  /** Where the app's log lines go (default: nowhere). */
  logs?: LogCapture
}

/** The app, registered and ready (not listening). Closed at teardown. */
export async function buildApp(t: TestLike, { logs, ...options }: TestAppOptions = {}): Promise<FastifyInstance> {
  const instance = Fastify({ logger: logs ? logs.logger() : false, forceCloseConnections: true })
  t.teardown(() => instance.close())
  await instance.register(app, { ...options, env: options.env ?? testEnv() })
  await instance.ready()
  return instance
}

/** The app listening on an ephemeral loopback port; resolves its base URL. */
export async function startApp(t: TestLike, options: TestAppOptions = {}): Promise<{ app: FastifyInstance; url: string }> {
  const instance = await buildApp(t, options)
  const address = await instance.listen({ port: 0, host: '127.0.0.1' })
  return { app: instance, url: address }
}
