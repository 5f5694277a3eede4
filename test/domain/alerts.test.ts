import t from 'tap'
import { AlertBacklog, AlertDeduper } from '../../src/alerts.js'
import type { Alert } from '../../src/events.js'

const alert = (id: string): Alert => ({
  id,
  type: 'kismet',
  timestamp: 1_795_629_789_000,
  severity: 'low',
  message: 'Kismet is not logging',
  header: 'LOGDISABLED',
  class: 'SYSTEM',
  read: false,
})

t.test('accepts an id once', async (t) => {
  const deduper = new AlertDeduper()
  t.equal(deduper.accept(alert('1')), true)
  t.equal(deduper.accept(alert('1')), false)
  t.equal(deduper.accept(alert('2')), true)
  t.equal(deduper.has('1'), true)
  t.equal(deduper.has('3'), false)
  t.equal(deduper.size, 2)
})

t.test('a re-read backlog yields only the alerts not seen yet', async (t) => {
  const deduper = new AlertDeduper()
  const first = ['a', 'b', 'c'].map(alert).filter((a) => deduper.accept(a))
  const again = ['a', 'b', 'c', 'd'].map(alert).filter((a) => deduper.accept(a))
  t.same(first.map((a) => a.id), ['a', 'b', 'c'])
  t.same(again.map((a) => a.id), ['d'])
})

t.test('memory is bounded: the oldest ids are forgotten first', async (t) => {
  const deduper = new AlertDeduper(3)
  for (const id of ['1', '2', '3', '4']) deduper.accept(alert(id))
  t.equal(deduper.size, 3)
  t.equal(deduper.has('1'), false, 'the oldest went')
  t.equal(deduper.has('2') && deduper.has('3') && deduper.has('4'), true)
  t.equal(deduper.accept(alert('1')), true, 'a forgotten id counts as new again')
  t.equal(deduper.has('2'), false)
  t.equal(deduper.size, 3)
})

t.test('the default capacity is 10,000', async (t) => {
  const deduper = new AlertDeduper()
  t.equal(deduper.capacity, 10_000)
  for (let i = 0; i < 10_500; i++) deduper.accept(alert(String(i)))
  t.equal(deduper.size, 10_000)
  t.equal(deduper.has('499'), false)
  t.equal(deduper.has('500'), true)
  t.equal(deduper.has('10499'), true)
})

t.test('a repeat does not refresh an id (no LRU): order is first-seen order', async (t) => {
  const deduper = new AlertDeduper(2)
  deduper.accept(alert('a'))
  deduper.accept(alert('b'))
  deduper.accept(alert('a'))
  deduper.accept(alert('c'))
  t.equal(deduper.has('a'), false)
  t.equal(deduper.has('b'), true)
})

t.test('capacity must be a positive integer', async (t) => {
  t.throws(() => new AlertDeduper(0), RangeError)
  t.throws(() => new AlertDeduper(-1), RangeError)
  t.throws(() => new AlertDeduper(1.5), RangeError)
})

t.test("the backlog's version changes with the list, and only then (a copy elsewhere is written again only when it changed)", async (t) => {
  const backlog = new AlertBacklog(2)
  const versions = [backlog.version]
  backlog.keep(alert('1'))
  versions.push(backlog.version)
  backlog.keep(alert('1'))
  t.equal(backlog.version, versions[1], 'an alert kept again changes nothing')
  backlog.keep(alert('2'))
  backlog.keep(alert('3'))
  versions.push(backlog.version)
  backlog.clear()
  versions.push(backlog.version)
  t.equal(new Set(versions).size, versions.length, 'each change, a new version')
  t.same(backlog.list(), [])
})
