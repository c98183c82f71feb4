import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// `pnpm dev` proxies the REST API to a running hub (default: the CLI's default port on loopback).
const hubUrl = process.env.DAXFLEET_HUB_URL ?? 'http://127.0.0.1:7300';

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@': fileURLToPath(new URL('./src', import.meta.url)) } },
  server: { proxy: { '/api': hubUrl } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/testing/setup-tests.ts'],
    globalSetup: ['./src/testing/recorded-kernels.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
