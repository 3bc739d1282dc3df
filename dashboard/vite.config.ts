import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Served by `legato serve` at /ui/ under a CSP without inline scripts or styles: everything is
// emitted as files (no inlined assets), and the dev server proxies the API to a local `legato serve`.
const api = process.env.LEGATO_API_URL ?? "http://127.0.0.1:8080";
const proxied = [
  "/workflow",
  "/workers",
  "/dead-letters",
  "/stats",
  "/schedules",
  "/triggers",
  "/actions",
  "/auth",
  "/healthz",
  "/readyz",
];

export default defineConfig({
  base: "/ui/",
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: api, changeOrigin: false }])),
  },
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
  },
});
