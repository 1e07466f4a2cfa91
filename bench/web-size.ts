/**
 * The binary's size with the web dashboard and without it (the same build with src/web/index.html
 * swapped for an empty page, so neither React DOM nor the page's code is bundled): what the UI
 * costs in download and disk, on this machine's target.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BunPlugin } from "bun";
import { buildBinary, hostTarget } from "../build.ts";

const withoutUi: BunPlugin = {
  name: "without-web-ui",
  setup(build) {
    build.onLoad({ filter: /web\/index\.html$/ }, async () => ({
      contents: await Bun.file(join(import.meta.dir, "web-empty.html")).text(),
      loader: "html",
    }));
  },
};

export interface BinarySizes {
  withUi: number;
  withoutUi: number;
}

export async function binarySizes(): Promise<BinarySizes> {
  const dir = mkdtempSync(join(tmpdir(), "dash-bench-size-"));
  try {
    const target = hostTarget();
    await buildBinary(target, join(dir, "with"));
    await buildBinary(target, join(dir, "without"), [withoutUi]);
    return { withUi: Bun.file(join(dir, "with")).size, withoutUi: Bun.file(join(dir, "without")).size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const sizes = await binarySizes();
  const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  console.log(
    `with the UI ${mib(sizes.withUi)}, without ${mib(sizes.withoutUi)}: +${((sizes.withUi - sizes.withoutUi) / 1024).toFixed(0)} KiB`,
  );
}
