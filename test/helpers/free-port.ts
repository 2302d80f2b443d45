import { createServer } from 'node:net';

/** A free loopback port, for a bot whose public URL (CONSOLE_PUBLIC_URL) must be known before it starts. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
