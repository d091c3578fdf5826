/**
 * purenn's core: everything that runs anywhere JavaScript runs (Node or a
 * browser). It imports no Node module. `src/index.ts` adds the Node-only parts
 * (reading MNIST files) on top; a browser bundle imports this file.
 */
export { Matrix, type MatrixLike } from "./tensor/matrix.js";
export { matmul, matmulTransA, matmulTransB, matmulNaive } from "./tensor/matmul.js";
export { argmax } from "./tensor/ops.js";
export { setRandomSeed } from "./tensor/random.js";
export { allocationCount } from "./tensor/alloc.js";
export { setBackend, getBackend, type BackendName, setKernel, getKernel, type KernelName } from "./tensor/backend.js";
export { Param, Gradient, type RowForm } from "./tensor/parameter.js";

export { Layer, type BackwardOptions } from "./layers/layer.js";
export { Dropout, type DropoutOptions } from "./layers/dropout.js";
export { BatchNormalization, type BatchNormalizationOptions } from "./layers/batch-normalization.js";
export { INITIALIZERS, getInitializer, type Initializer, type InitializerName } from "./layers/initializers.js";
export { l1, l2, l1l2, L1L2, REGULARIZERS, getRegularizer, type Regularizer, type RegularizerName, type L1L2Options } from "./layers/regularizers.js";
export { Dense, type DenseOptions } from "./layers/dense.js";
export { Activation, type ActivationOptions } from "./layers/activation.js";
export { Conv2D, type Conv2DOptions } from "./layers/conv2d.js";
export {
  MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, type Pooling2DOptions, type GlobalAveragePooling2DOptions,
} from "./layers/pooling.js";
export { Flatten, Reshape, type FlattenOptions, type ReshapeOptions } from "./layers/reshape.js";
export { ACTIVATIONS, type ActivationName } from "./layers/activations.js";

export {
  LOSSES, METRICS, getLoss, getMetric, resolveMetric, toClassIndices, type Loss, type LossName, type FusedGradient, type Metric, type MetricName,
} from "./losses/index.js";
export {
  Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, OPTIMIZERS, getOptimizer, type OptimizerName,
  LearningRateSchedule, ExponentialDecay, PiecewiseConstantDecay, CosineDecay,
  type OptimizerOptions, type SGDOptions, type AdamOptions, type AdamWOptions,
  type RMSpropOptions, type AdagradOptions,
  type ExponentialDecayOptions, type PiecewiseConstantDecayOptions, type CosineDecayOptions,
} from "./optim/index.js";

export { Sequential, type CompileOptions, type EvaluateOptions, type PredictOptions, type SequentialOptions } from "./model/sequential.js";
export { History } from "./model/history.js";
export { BatchHistory, type BatchHistoryOptions } from "./model/batch-history.js";
export { tutorialModel, convnetModel } from "./model/tutorial.js";
export { type FitOptions } from "./model/fit-options.js";
export { TrainingDivergedError, type FitPosition } from "./model/divergence.js";
export { Callback, CallbackList, TerminateOnNaN, LearningRateScheduler, type CallbackHooks, type Logs } from "./model/callbacks.js";
export { EarlyStopping, ReduceLROnPlateau, type EarlyStoppingOptions, type ReduceLROnPlateauOptions } from "./model/monitor.js";
export { toCategorical } from "./data/categorical.js";
