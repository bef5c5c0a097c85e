// Bundles src/main.jsx into dist/graphiql.js + dist/graphiql.css (minified),
// which web/graphiql.go embeds with //go:embed. Run with `npm run build`.
import { readdir, rm } from 'node:fs/promises';
import * as esbuild from 'esbuild';

const outdir = new URL('./dist/', import.meta.url);

// Start from an empty dist/ but keep the committed dist/.gitkeep.
for (const name of await readdir(outdir)) {
  if (name !== '.gitkeep') {
    await rm(new URL(name, outdir), { recursive: true, force: true });
  }
}

await esbuild.build({
  absWorkingDir: new URL('.', import.meta.url).pathname,
  entryPoints: { graphiql: 'src/main.jsx' },
  outdir: 'dist',
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Anything a stylesheet references is inlined, so dist/ holds two files.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  legalComments: 'eof',
  logLevel: 'info',
});
