/**
 * Downloading an IDX file into a cache, safely.
 *
 *   1. fetch `url` into memory with node-fetch, imported when a download
 *      starts rather than with purenn (it was a third of purenn's import
 *      time, and most runs never download);
 *   2. unzip it if gzipped, and check the SHA-256 of the IDX bytes: the hash is
 *      of the unzipped content, so any mirror's gzip of the same file passes;
 *   3. write it to a temporary file beside its final name, then rename: a
 *      rename is atomic, so the cache holds either nothing or a verified file.
 * Any failure removes the temporary file and rejects with the reason.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, rename, rm, writeFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { gunzipIdx } from "./idx.js";

/** SHA-256 of bytes, as lowercase hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Fetches `url`, verifies its IDX content against `sha`, and stores it as
 * `dir/fileName` (the bytes as fetched). Returns the stored path.
 */
export async function downloadVerified(url: string, dir: string, fileName: string, sha: string, timeoutMs: number): Promise<string> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let body: Uint8Array;
  try {
    const { default: fetch } = await import("node-fetch");
    const response = await fetch(url, { signal: controller.signal });
    if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
    body = new Uint8Array(await response.arrayBuffer());
  } catch (e) {
    const err = e as Error;
    throw new Error(err.name === "AbortError" ? `no complete answer within ${timeoutMs} ms` : err.message);
  } finally {
    clearTimeout(timer);
  }
  const idx = body[0] === 0x1f && body[1] === 0x8b ? await gunzipIdx(body, url) : body;
  const got = sha256(idx);
  if (got !== sha) throw new Error(`checksum mismatch: SHA-256 of the IDX content is ${got}, expected ${sha}`);

  await mkdir(dir, { recursive: true });
  const finalPath = join(dir, fileName);
  const tmpPath = join(dir, `.${fileName}.${randomBytes(6).toString("hex")}.partial`);
  try {
    await writeFile(tmpPath, body);
    await rename(tmpPath, finalPath);
  } catch (e) {
    await rm(tmpPath, { force: true });
    throw e;
  }
  return finalPath;
}

/** Removes temporary files left in `dir` by a download that was killed midway. */
export async function removePartials(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => n.endsWith(".partial")).map((n) => rm(join(dir, n), { force: true })));
}
