// Preloaded (`node --import ./scripts/lib/exit-with-parent.mjs ...`) into the services that
// the tests and the demo start: a process whose parent died (SIGKILL, a test runner's
// timeout) is adopted by another process, and would otherwise keep serving for ever. It
// notices within half a second and stops itself with SIGTERM, the way an operator would.
// Development only: the production entry never loads it.
const parent = process.ppid
const timer = setInterval(() => {
  if (process.ppid !== parent) {
    clearInterval(timer)
    process.kill(process.pid, 'SIGTERM')
  }
}, 500)
timer.unref()
