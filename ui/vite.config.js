// The compliance UI's web app: static files that compliance-ui serves from its --web-root.
// scripts/build-web.sh sets the output directory (build/web by default).
import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset URLs: the app works from any path the server mounts it at.
  base: './',
  build: {
    outDir: process.env.KW_WEB_OUT_DIR || 'dist',
    emptyOutDir: true,
    // One small bundle; no source maps shipped to operators.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npm run dev` against a running compliance-ui (KW_UI_URL, default localhost:8080).
    proxy: { '/api': process.env.KW_UI_URL || 'http://127.0.0.1:8080' },
  },
});
