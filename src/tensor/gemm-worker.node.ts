/**
 * A worker thread of the pool (threads.node.ts): it serves jobs on the shared
 * heap until the pool closes (worker-loop.ts).
 */
import { workerData } from "node:worker_threads";
import { serveJobs, type WorkerData } from "./worker-loop.js";

serveJobs(workerData as WorkerData);
