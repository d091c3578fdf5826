/**
 * How the image layers are saved in, and read from, a layers-model file:
 * Keras's class names and snake_case config keys, as TensorFlow.js 4.22 writes
 * them (Conv2D: filters, kernel_size [kh, kw], strides, padding,
 * data_format "channels_last", dilation_rate [1, 1], activation, use_bias, …;
 * pooling: pool_size, strides, padding; Reshape: target_shape).
 * purenn reads channels-last, undilated, ungrouped layers only, and says so.
 */
import { describe } from "../tensor/matrix.js";
import type { Layer } from "../layers/layer.js";
import { Conv2D } from "../layers/conv2d.js";
import { MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D } from "../layers/pooling.js";
import { Flatten, Reshape } from "../layers/reshape.js";
import type { Padding, Size2 } from "../layers/conv-options.js";
import { optionalString, kernelLayerJson, kernelLayerOptions, type LayerCodec } from "./layer-codecs.js";

/** Rejects what purenn does not compute: another data format, dilation, groups, kept dimensions. */
function checkSupported(c: Record<string, unknown>, where: string): void {
  if (c.data_format !== undefined && c.data_format !== null && c.data_format !== "channels_last") {
    throw new Error(`${where}.data_format must be "channels_last" (purenn's images are (h, w, c)), got ${describe(c.data_format)}`);
  }
  const one = (v: unknown) => v === undefined || v === null || v === 1 || (Array.isArray(v) && v.every((d) => d === 1));
  if (!one(c.dilation_rate)) throw new Error(`${where}.dilation_rate must be 1 (purenn has no dilated convolution), got ${JSON.stringify(c.dilation_rate)}`);
  if (!one(c.groups)) throw new Error(`${where}.groups must be 1 (purenn has no grouped convolution), got ${JSON.stringify(c.groups)}`);
  if (c.keepdims === true) throw new Error(`${where}.keepdims must be false (purenn's GlobalAveragePooling2D gives (None, c))`);
}

/** A size from the file: a number or a list; the layer checks the values. */
function size(v: unknown): Size2 | undefined {
  return v === undefined || v === null ? undefined : (v as Size2);
}

function pooling(make: (o: { poolSize?: Size2; strides?: Size2; padding?: Padding; name?: string }) => Layer, className: string): LayerCodec {
  return {
    toJson: (layer) => {
      const p = layer as MaxPooling2D;
      return { class_name: className, config: { pool_size: p.poolSize, padding: p.padding, strides: p.strides, data_format: "channels_last" } };
    },
    fromConfig: (c, where) => {
      checkSupported(c, where);
      return make({ poolSize: size(c.pool_size), strides: size(c.strides), padding: (c.padding ?? "valid") as Padding, name: optionalString(c.name, `${where}.name`) });
    },
  };
}

export const CONV_CODECS: Record<string, LayerCodec> = {
  Conv2D: {
    toJson: (layer) => {
      const d = layer as Conv2D;
      return {
        class_name: "Conv2D",
        config: {
          filters: d.filters, kernel_size: d.kernelSize, strides: d.strides, padding: d.padding, data_format: "channels_last",
          dilation_rate: [1, 1], ...kernelLayerJson(d),
        },
      };
    },
    fromConfig: (c, where) => {
      checkSupported(c, where);
      return new Conv2D(c.filters as number, {
        kernelSize: size(c.kernel_size) as Size2, // required: the layer names it when absent
        strides: size(c.strides),
        padding: (c.padding ?? "valid") as Padding,
        ...kernelLayerOptions(c, where),
      });
    },
    // kh·kw·c·filters kernel values, and filters biases
    weightCount: (layer, shape) => {
      const d = layer as Conv2D;
      return d.kernelSize[0] * d.kernelSize[1] * shape[2] * d.filters + (d.useBias ? d.filters : 0);
    },
  },
  MaxPooling2D: pooling((o) => new MaxPooling2D(o), "MaxPooling2D"),
  AveragePooling2D: pooling((o) => new AveragePooling2D(o), "AveragePooling2D"),
  GlobalAveragePooling2D: {
    toJson: () => ({ class_name: "GlobalAveragePooling2D", config: { data_format: "channels_last" } }),
    fromConfig: (c, where) => {
      checkSupported(c, where);
      return new GlobalAveragePooling2D({ name: optionalString(c.name, `${where}.name`) });
    },
  },
  Flatten: {
    toJson: () => ({ class_name: "Flatten", config: { data_format: "channels_last" } }),
    fromConfig: (c, where) => {
      checkSupported(c, where);
      return new Flatten({ name: optionalString(c.name, `${where}.name`) });
    },
  },
  Reshape: {
    toJson: (layer) => ({ class_name: "Reshape", config: { target_shape: (layer as Reshape).targetShape } }),
    fromConfig: (c, where) => new Reshape({ targetShape: c.target_shape as number[], name: optionalString(c.name, `${where}.name`) }),
  },
};
