#!/usr/bin/env node
// Entry point of the `privacy-bot` command (package.json "bin", used by `npm start` and `npx privacy-bot`).
// In the repository the TypeScript sources run through tsx; a built image (Dockerfile) ships
// only dist/ and runs the compiled JavaScript.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/app/cli/main.ts`;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(`${root}dist/src/app/cli/main.js`).href);
}
