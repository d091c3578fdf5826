import { describe, it, expect } from "vitest";
import { toCategorical } from "../src/index.js";

describe("toCategorical", () => {
  it("one-hot rows, as Keras's to_categorical", () => {
    const m = toCategorical(new Uint8Array([3, 0, 1]), 4);
    expect([m.rows, m.cols]).toEqual([3, 4]);
    expect(m.data).toBeInstanceOf(Float32Array);
    expect(m.toArray()).toEqual([[0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]);
    expect(toCategorical([2, 0]).toArray()).toEqual([[0, 0, 1], [1, 0, 0]]); // numClasses = max + 1
    expect(toCategorical([], 3).rows).toBe(0);
  });

  it.each([
    [[0, 1, 10, 2], 10, /toCategorical: label at index 2 is 10, expected an integer in \[0, 10\)/],
    [[0, -1], 10, /label at index 1 is -1, expected an integer in \[0, 10\)/],
    [[0, 1.5], 10, /label at index 1 is 1\.5, expected an integer/],
    [[0, NaN], 10, /label at index 1 is NaN/],
    [[0, 1], 0, /numClasses must be a positive integer, got 0/],
    [[0, 1], 2.5, /numClasses must be a positive integer, got 2\.5/],
    [[0, 1], NaN, /numClasses must be a positive integer, got NaN/],
  ])("rejects %j with numClasses %s", (labels, classes, message) => {
    expect(() => toCategorical(labels, classes)).toThrow(message);
  });

  it.each([
    [[0, 3, NaN, -1], /label at index 2 is NaN, expected a non-negative integer/],
    [[2, -1, 0.5], /label at index 1 is -1, expected a non-negative integer/],
    [[], /cannot infer numClasses from 0 labels; pass numClasses/],
  ])("without numClasses, rejects %j naming the first bad label", (labels, message) => {
    expect(() => toCategorical(labels)).toThrow(message);
  });

  it("rejects what is not a list of labels", () => {
    expect(() => toCategorical(5 as unknown as number[], 10)).toThrow(/expects an array of integer labels, got 5/);
  });
});
