// /metrics scraped by a real Prometheus (Debian's `prometheus`, installed by .ci/run) with the
// scrape config the README gives, as written there: with the token the target is up and its
// series are stored; with a wrong token it is down with a 401.
import t from 'tap'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startApp, testEnv } from '../helper.js'
import { freePort } from '../support/ports.js'
import { runForTest } from '../support/watchdog.js'

const TOKEN = 'scrape-token-0123456789'
const PROMETHEUS = '/usr/bin/prometheus'

/** The README's scrape config: the yaml block naming the kismet-ws job. */
function readmeScrapeConfig(): string {
  const blocks = [...readFileSync('README.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const block = blocks.find((b) => b.includes('job_name: kismet-ws'))
  if (!block) throw new Error('the README has no yaml block with "job_name: kismet-ws"')
  return block
}

interface Target {
  labels: { job: string }
  health: 'up' | 'down' | 'unknown'
  lastError: string
}

t.test('Prometheus scrapes /metrics with the README config and the token', async (t) => {
  if (!t.ok(existsSync(PROMETHEUS), `${PROMETHEUS} exists (apt-get install prometheus; .ci/run does)`)) return
  const { url } = await startApp(t, { env: testEnv({ API_TOKEN: TOKEN }) })
  const target = new URL(url).host

  const dir = mkdtempSync(join(tmpdir(), 'kismet-ws-prometheus-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const wrongTokenFile = join(dir, 'wrong.token')
  writeFileSync(wrongTokenFile, 'not-the-token\n')

  const documented = readmeScrapeConfig()
  t.match(documented, /authorization:\n\s+type: Bearer\n\s+credentials: <API_TOKEN>/, 'the README passes the token with authorization.credentials')
  const good = documented.replace('<API_TOKEN>', TOKEN).replace("'sensor-box:8001'", `'${target}'`)
  // The same job with a wrong token, given the other documented way (credentials_file).
  const wrong = [
    '  - job_name: wrong-token',
    '    authorization:',
    `      credentials_file: ${wrongTokenFile}`,
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n')
  const configFile = join(dir, 'prometheus.yml')
  writeFileSync(configFile, `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n${good}${wrong}`)

  const port = await freePort()
  const prometheus = runForTest(t, PROMETHEUS, [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'])

  const api = `http://127.0.0.1:${port}`
  // Until both targets have been scraped once (health leaves 'unknown'), or 30 s.
  const deadline = Date.now() + 30_000
  let targets: Target[] = []
  for (;;) {
    if (prometheus.child.exitCode !== null) throw new Error(`prometheus exited (${prometheus.child.exitCode}): ${prometheus.stderr()}`)
    const answer = await fetch(`${api}/api/v1/targets?state=active`).then(
      async (res) => (res.ok ? ((await res.json()) as { data: { activeTargets: Target[] } }) : undefined),
      () => undefined,
    )
    targets = answer?.data.activeTargets ?? []
    if (targets.length === 2 && targets.every((target) => target.health !== 'unknown')) break
    if (Date.now() > deadline) throw new Error(`targets not scraped within 30 s: ${JSON.stringify(targets)}; ${prometheus.stderr()}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  const byJob = Object.fromEntries(targets.map((target) => [target.labels.job, target]))
  t.match(byJob['kismet-ws'], { health: 'up', lastError: '' }, 'scraped with the token')
  t.match(byJob['wrong-token'], { health: 'down', lastError: /server returned HTTP status 401 Unauthorized/ }, 'a wrong token is refused with 401')

  const query = await fetch(`${api}/api/v1/query?query=${encodeURIComponent('kismet_ws_clients{job="kismet-ws"}')}`)
  const result = (await query.json()) as { data: { result: Array<{ value: [number, string] }> } }
  t.equal(result.data.result.length, 1, 'the series is stored')
  t.equal(result.data.result[0]?.value[1], '0', 'with its value')
})
