/**
 * Child process for the two-process claim test in sqlite.test.ts (forked with `--import tsx`).
 * argv: <database file> <process name> <key count>. Opens the SQLite store, sends 'ready', waits
 * for 'go', then claims keys `k0` … `k<count-1>` (value = process name) in an order shuffled by
 * the process name (so the processes meet on keys all along, not only where one catches up with
 * the other), 20 per event-loop turn like concurrent messages, and sends back `{ won: number[] }`
 * (the key numbers it claimed) before exiting.
 */
import { openSqliteStore } from '../../../src/store/sqlite/store.ts';

const [file, name, countArg] = process.argv.slice(2) as [string, string, string];
const count = Number(countArg);
const store = openSqliteStore(file);
const order = Array.from({ length: count }, (_, i) => i);
let seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
for (let i = order.length - 1; i > 0; i--) {
  seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
  const j = seed % (i + 1);
  [order[i], order[j]] = [order[j]!, order[i]!];
}
const send = (m: unknown): Promise<void> => new Promise((resolve, reject) => process.send!(m, (err: Error | null) => (err ? reject(err) : resolve())));

process.once('message', async () => {
  const won: number[] = [];
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const k = order[i]!;
    pending.push(store.claim(`k${k}`, 60_000, name).then((first) => void (first && won.push(k))));
    if (i % 20 === 19) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(pending);
  await store.close();
  await send({ won });
  process.disconnect();
});
await send('ready');
