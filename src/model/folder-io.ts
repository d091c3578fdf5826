/**
 * Saving to and loading from folders needs a file system, which the core does
 * not import: the Node entry (src/index.ts) installs io.node.ts here. In a
 * browser, `model.save(dir)` explains that instead of failing obscurely.
 */
import type { Sequential } from "./sequential.js";

export interface FolderIO {
  save(model: Sequential, dir: string, options: { includeOptimizer?: boolean }): Promise<void>;
}

let io: FolderIO | undefined;

export function setFolderIO(handler: FolderIO): void {
  io = handler;
}

export function folderIO(): FolderIO {
  if (!io) throw new Error("save: saving to a folder needs Node (import from \"purenn\", not \"purenn/core\")");
  return io;
}
