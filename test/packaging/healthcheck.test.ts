// The Dockerfile's HEALTHCHECK command, run as written, against the real app: it asks /health
// at the address HOST names (the container's HOST=0.0.0.0 is covered by check-runtime-stage.sh),
// so it passes whatever HOST the operator sets, and fails when nothing answers there.
import t from 'tap'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { buildApp } from '../helper.js'

/** The HEALTHCHECK's exec-form command from the Dockerfile. */
function healthcheckCommand(): string[] {
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n\s*/g, '')
  const match = /^HEALTHCHECK .*?CMD (\[.*\])\s*$/m.exec(dockerfile)
  if (!match) throw new Error('no HEALTHCHECK CMD [...] in the Dockerfile')
  return JSON.parse(match[1]!) as string[]
}

function runHealthcheck(env: Record<string, string>): Promise<number | null> {
  const [command, ...args] = healthcheckCommand()
  const child = spawn(command === 'node' ? process.execPath : command!, args, { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' })
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)))
}

for (const host of ['127.0.0.2', '::1', 'localhost']) {
  t.test(`HOST=${host}: the HEALTHCHECK asks there`, async (t) => {
    const app = await buildApp(t)
    await app.listen({ host, port: 0 })
    const { port } = app.server.address() as { port: number }
    t.equal(await runHealthcheck({ HOST: host, PORT: String(port) }), 0, 'healthy')
    await app.close()
    t.equal(await runHealthcheck({ HOST: host, PORT: String(port) }), 1, 'unhealthy once it has stopped')
  })
}

t.test('HOST=127.0.0.2: a HEALTHCHECK asking 127.0.0.1 would find nothing', async (t) => {
  const app = await buildApp(t)
  await app.listen({ host: '127.0.0.2', port: 0 })
  const { port } = app.server.address() as { port: number }
  await t.rejects(fetch(`http://127.0.0.1:${port}/health`), 'nothing on 127.0.0.1')
  t.equal(await runHealthcheck({ HOST: '127.0.0.2', PORT: String(port) }), 0)
})
