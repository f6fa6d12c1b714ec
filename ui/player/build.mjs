// Copies WaveSurfer.js's own built ES modules (and its licence) from node_modules into
// frontend/vendor/, the folder the Streamlit component serves. Run after `npm ci`:
//   cd ui/player && npm ci && npm run build
// The copied files are committed; nothing is fetched when the app runs.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "node_modules", "wavesurfer.js", "dist");
const vendor = join(here, "frontend", "vendor");
const files = {
  "wavesurfer.esm.js": "wavesurfer.esm.js",
  "plugins/regions.esm.js": "regions.esm.js",
  "plugins/timeline.esm.js": "timeline.esm.js",
  "plugins/zoom.esm.js": "zoom.esm.js",
};
const { version, license } = JSON.parse(
  readFileSync(join(here, "node_modules", "wavesurfer.js", "package.json"), "utf8"));
mkdirSync(vendor, { recursive: true });
for (const [source, target] of Object.entries(files)) {
  copyFileSync(join(dist, source), join(vendor, target));
}
copyFileSync(join(here, "node_modules", "wavesurfer.js", "LICENSE"), join(vendor, "LICENSE"));
writeFileSync(join(vendor, "VERSION"), `wavesurfer.js ${version} (${license})\n`);
console.log(`copied wavesurfer.js ${version} (${license}) into frontend/vendor`);
