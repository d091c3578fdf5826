// Letting the event loop run during fit (src/model/event-loop.ts): by time, and in a
// browser (no setImmediate) through a MessageChannel message.
import { describe, it, expect, vi, afterEach } from "vitest";
import { EventLoopYield, YIELD_EVERY_MS } from "../src/model/event-loop.js";

afterEach(() => {
  vi.unstubAllGlobals();
});

/** Busy work for `ms` milliseconds: nothing else runs meanwhile. */
function work(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end);
}

describe("EventLoopYield", () => {
  it(`is due once ${YIELD_EVERY_MS} ms of work have passed since the last yield`, async () => {
    const events = new EventLoopYield();
    expect(events.due).toBe(false);
    work(YIELD_EVERY_MS + 1);
    expect(events.due).toBe(true);
    await events.yieldNow();
    expect(events.due).toBe(false);
  });

  it.each([
    ["setImmediate (Node)", false],
    ["a MessageChannel message (a browser, where there is no setImmediate)", true],
  ])("a yield through %s lets a due timer run", async (_how, browser) => {
    if (browser) vi.stubGlobal("setImmediate", undefined);
    const events = new EventLoopYield();
    const ran: string[] = [];
    setTimeout(() => ran.push("timer"), 0);
    work(5); // the timer is due now, but cannot run while this code does
    expect(ran).toEqual([]);
    await events.yieldNow();
    expect(ran).toEqual(["timer"]);
  });
});
