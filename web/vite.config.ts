import { sveltekit } from '@sveltejs/kit/vite';
import adapter from '@sveltejs/adapter-static';
import { defineConfig } from 'vite';

// The signaling server serves the built SPA and the API from one origin; in dev we
// recreate that by proxying /api (REST and the WebSocket) to the local server.
const apiTarget = `http://127.0.0.1:${process.env.VILO_API_PORT ?? 8080}`;

export default defineConfig({
  plugins: [
    sveltekit({
      adapter: adapter({
        pages: 'build',
        assets: 'build',
        // SPA: the server falls back to index.html for any path it does not know.
        fallback: 'index.html',
      }),
    }),
  ],
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
  preview: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
    },
  },
});
