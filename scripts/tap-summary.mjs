// Echoes tap's output, checks that the suite left no process behind, then prints the one line
// CI reads: "N passed, N failed, N skipped". tap's own closing line
// ("# { total: N, pass: N, fail: N }") is not one CI recognises.
import { reapLeftovers } from './leftover-processes.mjs'

let output = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  output += chunk
  process.stdout.write(chunk)
})
process.stdin.on('end', async () => {
  const marker = process.env.KISMET_WS_TEST_RUN
  const leftovers = marker ? await reapLeftovers(marker) : []
  if (leftovers.length > 0) {
    console.log(`not ok - the suite left ${leftovers.length} process(es) running (killed now):`)
    for (const { pid, cmdline } of leftovers) console.log(`#   pid ${pid}: ${cmdline.slice(0, 300)}`)
  }
  const summaries = [...output.matchAll(/^# \{ total: \d+[^}]*\}$/gm)]
  const last = summaries.at(-1)
  if (!last) {
    console.log(`0 passed, ${1 + leftovers.length} failed`)
    process.exitCode = 1
    return
  }
  const count = (key) => Number(last[0].match(new RegExp(`\\b${key}: (\\d+)`))?.[1] ?? 0)
  const failed = count('fail') + (leftovers.length > 0 ? 1 : 0)
  if (leftovers.length > 0) process.exitCode = 1
  console.log(`${count('pass')} passed, ${failed} failed, ${count('skip') + count('todo')} skipped`)
})
