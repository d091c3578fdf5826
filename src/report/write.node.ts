/**
 * writeReport (Node only): the training report (html.ts) written to one file.
 *
 *   const history = await model.fit(mnist.xTrain, yTrain, { epochs: 5, validationSplit: 0.1 });
 *   await writeReport(history, model, mnist, "report.html");   // open it in any browser
 *
 * The file is written next to its final name and renamed into place, so a
 * reader never sees half a report.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { describe } from "../tensor/matrix.js";
import type { Sequential } from "../model/sequential.js";
import type { History } from "../model/history.js";
import type { ReportData } from "./analysis.js";
import { reportHtml, type ReportOptions, type ReportSummary } from "./html.js";

/** Writes the report for `model` (trained as `history` says) on `data`'s test set to `file`. */
export async function writeReport(
  history: History, model: Sequential, data: ReportData, file: string, options: ReportOptions = {},
): Promise<ReportSummary & { file: string; bytes: number }> {
  if (typeof file !== "string" || file === "") throw new Error(`writeReport expects a file path, got ${describe(file)}`);
  const { html, summary } = reportHtml(history, model, data, options);
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  const bytes = Buffer.from(html, "utf8");
  try {
    await writeFile(tmp, bytes);
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  return { ...summary, file: path, bytes: bytes.length };
}
