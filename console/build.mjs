// Builds the console into ../chalicelib/console/dist: one minified, content-hashed
// JS bundle and one CSS file, and manifest.json naming them (read by chalicelib/console/serve.py).
import { build } from "esbuild";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

// Every string must exist in both languages, with the same placeholders.
const { EN } = await import("./src/strings/en-US.js");
const { ZH } = await import("./src/strings/zh-CN.js");
const holes = (s) => (s.match(/\{\w+\}/g) || []).filter((h) => !/^\{(dotted|automation|run|message|link)/.test(h)).sort().join();
const problems = [
  ...Object.keys(EN).filter((k) => !(k in ZH)).map((k) => `zh-CN lacks ${k}`),
  ...Object.keys(ZH).filter((k) => !(k in EN)).map((k) => `en-US lacks ${k}`),
  ...Object.keys(EN).filter((k) => k in ZH && holes(EN[k]) !== holes(ZH[k])).map((k) => `placeholders differ in ${k}`),
];
if (problems.length) {
  console.error(`console strings:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
const out = join(here, "..", "chalicelib", "console", "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const result = await build({
  entryPoints: { app: join(here, "src", "main.js"), style: join(here, "src", "style.css") },
  bundle: true, minify: true, format: "esm", target: ["es2020", "chrome100", "firefox100", "safari15"],
  outdir: out, entryNames: "[name].[hash]", metafile: true, legalComments: "none", logLevel: "warning",
});
const files = Object.keys(result.metafile.outputs).map((p) => basename(p));
const manifest = {
  js: files.find((f) => f.startsWith("app.") && f.endsWith(".js")),
  css: files.find((f) => f.startsWith("style.") && f.endsWith(".css")),
  files,
};
writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`console built: ${files.join(", ")}`);
