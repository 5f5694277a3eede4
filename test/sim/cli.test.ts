// npm run sim: prints its URL and API key (a fresh 32-hex key when none is given), keeps
// the devices alive, and exits 0 on SIGTERM.
import { spawn } from 'node:child_process'
import path from 'node:path'
import t from 'tap'
import { rawRequest, repoRoot } from '../support/fixtures.js'

t.test('the simulator CLI', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'sim/cli.ts'), '--port', '0', '--devices', '8', '--tick-ms', '50', '--flavor', 'master'], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  let output = ''
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (/API key: \S+\n/.test(output)) resolve(output)
    })
    child.once('exit', (code) => reject(new Error(`exited early (${code}): ${output}`)))
  })
  const url = /listening on (http:\/\/\S+)/.exec(banner)?.[1] ?? ''
  const key = /API key: (\S+)/.exec(banner)?.[1] ?? ''
  t.match(banner, /Kismet simulator \(master\)/)
  t.match(key, /^[0-9A-F]{32}$/, 'a generated 32-hex key')

  const status = JSON.parse((await rawRequest(`${url}/system/status.json`, { headers: { Cookie: `KISMET=${key}` } })).text) as Record<string, unknown>
  t.equal(status['kismet.system.devices.count'], 8)
  t.equal(status['kismet.system.version'], '2026.11.0-328b98f7c')

  // Devices stay alive: wait (bounded) until one is heard after the start.
  const started = status['kismet.system.timestamp.sec'] as number
  let heard = 0
  for (let attempt = 0; attempt < 100 && heard === 0; attempt++) {
    const res = await rawRequest(`${url}/devices/last-time/${started}/devices.json`, { headers: { Cookie: `KISMET=${key}` } })
    heard = (JSON.parse(res.text) as unknown[]).length
    if (heard === 0) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(heard > 0, 'devices are heard again as time passes')

  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  child.kill('SIGTERM')
  t.equal(await exit, 0, 'SIGTERM: exit 0')
  await t.rejects(rawRequest(`${url}/system/timestamp.json`), { code: 'ECONNREFUSED' }, 'and the port is closed')
})
