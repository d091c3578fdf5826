/**
 * model.summary(): Keras's table of layers, output shapes and parameter
 * counts (columns start at 0, 29 and 55; lines are 65 wide, as in Keras 2):
 *
 *   Model: "sequential"
 *   _________________________________________________________________
 *    Layer (type)                Output Shape              Param #
 *   =================================================================
 *    dense (Dense)               (None, 256)               200960
 *   ...
 *   =================================================================
 *   Total params: 235,146
 *   Trainable params: 235,146
 *   Non-trainable params: 0
 *   _________________________________________________________________
 *
 * Output shapes are a row's, after the batch axis None: (None, 26, 26, 32) for a
 * Conv2D's images. A Dense layer has din·dout + dout parameters (kernel and bias); BatchNormalization's
 * moving mean and variance count as non-trainable.
 */
import { shapeText, type Layer } from "../layers/layer.js";

const STOPS = [29, 55, 65];

export function summaryText(modelName: string, layers: readonly Layer[]): string {
  const lines: string[] = [];
  const rule = (ch: string) => ch.repeat(STOPS[2]);
  lines.push(`Model: "${modelName}"`, rule("_"), row(["Layer (type)", "Output Shape", "Param #"]), rule("="));
  let total = 0;
  let trainable = 0;
  layers.forEach((layer, i) => {
    const count = layer.weights().reduce((s, p) => s + p.value.data.length, 0);
    total += count;
    trainable += layer.params().reduce((s, p) => s + p.value.data.length, 0);
    const shape = layer.outputShape === undefined ? "(unbuilt)" : shapeText(layer.outputShape);
    lines.push(row([`${layer.name} (${layer.className})`, shape, String(count)]));
    if (i < layers.length - 1) lines.push(" ".repeat(STOPS[2]));
  });
  lines.push(rule("="));
  lines.push(`Total params: ${total.toLocaleString("en-US")}`);
  lines.push(`Trainable params: ${trainable.toLocaleString("en-US")}`);
  lines.push(`Non-trainable params: ${(total - trainable).toLocaleString("en-US")}`);
  lines.push(rule("_"));
  return lines.join("\n");
}

/** One table row: " name", then each field starting at the previous stop, cut to leave a space before the next. */
function row(fields: string[]): string {
  let line = " ";
  fields.forEach((f, i) => {
    line = (line + f).slice(0, STOPS[i] - 1).padEnd(STOPS[i]);
  });
  return line;
}
