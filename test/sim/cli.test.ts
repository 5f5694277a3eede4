// npm run sim: prints its URL and API key (a fresh 32-hex key when none is given), keeps
// the devices alive, and exits 0 on SIGTERM.
import { spawn } from 'node:child_process'
import path from 'node:path'
import t, { type Test } from 'tap'
import { rawRequest, repoRoot } from '../support/fixtures.js'

/** Starts `npm run sim` with these arguments; resolves its URL and key once it printed them. */
async function startCli(t: Test, args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'sim/cli.ts'), '--port', '0', ...args], {
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
  const stop = async (): Promise<number | null> => {
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    return exit
  }
  return { banner, url, key, stop }
}

t.test('the simulator CLI serves the devices it was asked for, with a generated key, and stops on SIGTERM', async (t) => {
  // No tick during the test (a tick may add or drop a device): the count is exact.
  const cli = await startCli(t, ['--devices', '8', '--tick-ms', '600000', '--flavor', 'master', '--name', 'north'])
  t.match(cli.banner, /Kismet simulator \(master\)/)
  t.match(cli.key, /^[0-9A-F]{32}$/, 'a generated 32-hex key')
  const status = JSON.parse((await rawRequest(`${cli.url}/system/status.json`, { headers: { Cookie: `KISMET=${cli.key}` } })).text) as Record<string, unknown>
  t.equal(status['kismet.system.devices.count'], 8)
  t.equal(status['kismet.system.version'], '2026.11.0-328b98f7c')
  t.equal(status['kismet.system.server_name'], 'north', '--name is the server name')
  t.equal(await cli.stop(), 0, 'SIGTERM: exit 0')
  await t.rejects(rawRequest(`${cli.url}/system/timestamp.json`), { code: 'ECONNREFUSED' }, 'and the port is closed')
})

t.test('the simulator CLI keeps its devices alive', async (t) => {
  const cli = await startCli(t, ['--devices', '8', '--tick-ms', '50'])
  const status = JSON.parse((await rawRequest(`${cli.url}/system/status.json`, { headers: { Cookie: `KISMET=${cli.key}` } })).text) as Record<string, unknown>
  // Wait (bounded) until a device is heard after the start.
  const started = status['kismet.system.timestamp.sec'] as number
  let heard = 0
  for (let attempt = 0; attempt < 100 && heard === 0; attempt++) {
    const res = await rawRequest(`${cli.url}/devices/last-time/${started}/devices.json`, { headers: { Cookie: `KISMET=${cli.key}` } })
    heard = (JSON.parse(res.text) as unknown[]).length
    if (heard === 0) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(heard > 0, 'devices are heard again as time passes')
  t.equal(await cli.stop(), 0)
})
