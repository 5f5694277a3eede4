// Processes a test run left behind. scripts/test.sh marks the run with KISMET_WS_TEST_RUN in
// the environment; every process the suite starts inherits it. After the suite, any marked
// process other than the run's own shell and this one is a leftover: it is listed, killed,
// and counted as a failure.
import { readdirSync, readFileSync } from 'node:fs'

/** Marked processes still alive, except this process and its parent (the run's shell). */
export function markedProcesses(marker) {
  const needle = `KISMET_WS_TEST_RUN=${marker}`
  const found = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid) || pid === process.pid || pid === process.ppid) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0')
      if (!environ.includes(needle)) continue
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean).join(' ')
      found.push({ pid, cmdline })
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found
}

/** Waits up to `graceMs` for the runner's own processes to end, then kills what is left; returns what was left. */
export async function reapLeftovers(marker, graceMs = 5000) {
  const deadline = Date.now() + graceMs
  let left = markedProcesses(marker)
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    left = markedProcesses(marker)
  }
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  return left
}
