// The soak (scripts/soak.ts) in miniature: a few seconds of device churn against the service
// as a child process. The long run is `npm run soak -- --minutes N`; here the checks must
// hold (ids increasing, no stream anomaly, no error logged, the final table equal to Kismet,
// exit 0 on SIGTERM) and the memory verdict must be printed.
import t from 'tap'
import { spawn } from 'node:child_process'
import { runToExit } from '../support/service-process.js'

t.test('npm run soak, briefly: every check holds and a verdict is printed', async (t) => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'scripts/soak.ts', '--minutes', '0.05', '--devices', '1200', '--ttl', '2', '--lifetime-s', '1', '--poll-ms', '250', '--sample-s', '1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const { code, stdout, stderr } = await runToExit(t, child)
  t.equal(code, 0, `exit 0\n${stdout}\n${stderr}`)
  const checks = stdout.split('\n').filter((line) => line.startsWith('check:'))
  t.equal(checks.length, 5, 'five checks reported')
  t.same(checks.filter((line) => !line.startsWith('check: ok')), [], 'all of them ok')
  t.match(stdout, /^verdict: /m, 'a verdict on memory')
  t.match(stdout, /^devices: 1200 distinct came and went/m, 'the churn went through every device')
  const samples = stdout.split('\n').filter((line) => /^\s+\d+s\s/.test(line))
  t.ok(samples.length >= 3, `memory sampled over time (${samples.length} samples)`)
})
