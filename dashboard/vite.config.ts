/**
 * The dashboard's build: a single-page app in dist/dashboard, one chunk per page (route-level
 * code splitting), served same-origin with the API. `npm run dashboard:dev` serves it with hot
 * reload and proxies the APIs to VEXILLA_API_URL (default: the local stack's .vexilla/local.json).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const localConfig = fileURLToPath(new URL('../.vexilla/local.json', import.meta.url));
// No default port: without a running local stack (or VEXILLA_API_URL) the API calls answer 404.
const apiUrl = process.env.VEXILLA_API_URL ?? (existsSync(localConfig) ? (JSON.parse(readFileSync(localConfig, 'utf8')) as { apiUrl: string }).apiUrl : undefined);

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/dashboard', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // dashboard/scripts/bundle-size.ts follows it to measure what each page loads.
    manifest: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: apiUrl ? { '/admin': apiUrl, '/api': apiUrl, '/ofrep': apiUrl } : {},
  },
});
