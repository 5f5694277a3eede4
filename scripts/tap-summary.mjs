// Echoes tap's output, then prints the one line CI reads: "N passed, N failed, N skipped".
// tap's own closing line ("# { total: N, pass: N, fail: N }") is not one CI recognises.
let output = ''
process.stdin.setEncoding('utf8')
process.stdin.on('data', (chunk) => {
  output += chunk
  process.stdout.write(chunk)
})
process.stdin.on('end', () => {
  const summaries = [...output.matchAll(/^# \{ total: \d+[^}]*\}$/gm)]
  const last = summaries.at(-1)
  if (!last) {
    console.log('0 passed, 1 failed')
    return
  }
  const count = (key) => Number(last[0].match(new RegExp(`\\b${key}: (\\d+)`))?.[1] ?? 0)
  console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('skip') + count('todo')} skipped`)
})
