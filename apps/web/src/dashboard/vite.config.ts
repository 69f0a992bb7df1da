import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/** The dashboard: src/dashboard -> apps/web/dist/ (served by the BFF at /). */
export default defineConfig({
  root: fileURLToPath(new URL('./', import.meta.url)),
  plugins: [react()],
  base: '/',
  build: {
    outDir: fileURLToPath(new URL('../../dist/', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
  },
  server: { proxy: { '/trpc': 'http://127.0.0.1:8080', '/api': 'http://127.0.0.1:8080' } },
});
