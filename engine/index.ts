/**
 * gradlab: automatic differentiation for notebooks.
 *
 * ```ts
 * import * as gl from "gradlab";
 * const x = gl.tensor([1, 2, 3], {requiresGrad: true, name: "x"});
 * const y = x.mul(x).sum();
 * y.backward();
 * x.grad; // tensor([2, 4, 6])
 * ```
 */
export { Tensor, type DType, type NestedArray, type TensorLike } from './tensor';
// the op methods of Tensor (a.add(b), y.backward(), ...): installed by this import
import './tensor-methods';
import { watchKernel } from './display/kernel';
// In a tslab kernel: cell ends for live displays, and stop_on_error: false honoured (nbgrader; display/kernel.ts).
watchKernel();
export {
  tensor,
  scalar,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  rand,
  randn,
  randint,
  arange,
  linspace,
  eye,
  type TensorOptions,
  type RandomOptions,
} from './creation';
export { seed, rng, Rng } from './rng';
export {
  add,
  sub,
  mul,
  div,
  pow,
  neg,
  exp,
  log,
  sqrt,
  abs,
  sigmoid,
  tanh,
  relu,
  sin,
  cos,
  sign,
  square,
  maximum,
  minimum,
  gt,
  ge,
  lt,
  le,
  eq,
  ne,
  where,
  sum,
  mean,
  max,
  min,
  logsumexp,
  softmax,
  logSoftmax,
  matmul,
  transpose,
  reshape,
  broadcastTo,
  squeeze,
  expandDims,
  detach,
  take,
  pick,
  slice,
  concat,
  type ReduceOptions,
  type AxisOption,
} from './ops';
export { backward, type BackwardOptions } from './ad/reverse';
export { grad, valueAndGrad, vjp, jvp, jacfwd, jacrev, jacobian, hessian, type ValueAndGrad } from './ad/functional';
export { numericalGrad, type NumericalGradOptions } from './ad/numerical';
export { gradCheck, GradCheckReport, type GradCheckOptions, type GradCheckEntry, type ForwardCheck } from './ad/gradcheck';
export { checkNode, checkNodes, type NodeCheckEntry, type NodeCheckOptions } from './ad/local-check';
export { customOp, type CustomOpSpec } from './ad/custom';
export { noGrad, scope, detectAnomaly, isGradEnabled } from './context';
export { trace, inputGrads, type Trace, type TraceNode } from './trace';
export { backwardRule, OP_TABLE as BACKWARD_RULES, type RuleSpec, type RuleSubject } from './display/op-table';
export { GradlabError } from './errors';
export { symbolic, Expr } from './symbolic';
export { chainOrders, CHAIN_DP_MAX_STEPS, type ChainStep, type ChainLayer } from './ad/chain';
export { jacobianChain, JacobianChain } from './display/payloads';
export { show, lossCurve, LossCurve, type LossCurveOptions, type Showable } from './display/show';
export {
  decisionBoundary,
  confusionMatrix,
  imageGrid,
  DecisionBoundary,
  ConfusionMatrix,
  ImageGrid,
  type Classifier,
  type LabelsLike,
  type DecisionBoundaryOptions,
  type ConfusionMatrixOptions,
  type ImageGridOptions,
} from './display/pictures';
export { plot, Plot, type PlotOptions, type PlotSeriesInput, type PlotSeriesSpec, type PlotValues, type PlotX, type PlotFunction } from './display/plot';
export { FourWays, fourWays } from './display/four-ways';
export { MIME } from './display/contract';
export type {
  GraphPayload,
  GraphNode,
  GradCheckPayload,
  BackwardRule,
  BackwardPattern,
  NodeCheck,
  JacobianChainPayload,
  ChainOrder,
  ParamJacobian,
  LossCurvePayload,
  TensorSummary,
  DecisionBoundaryPayload,
  ConfusionMatrixPayload,
  ImageGridPayload,
  PlotPayload,
  PlotSeries,
  FourWaysPayload,
  FourWaysWay,
  FourWaysId,
} from './display/contract';
export { check, checkResults, todo, allClose, TodoError, type CheckResult } from './exercise';
/** Layers, losses, `train`, saving (`gl.nn.mlp([2, 100, 3])`, `gl.nn.train(...)`). */
export * as nn from './nn';
/** Optimisers (`SGD`, `Adam`) and learning-rate schedules. */
export * as optim from './nn/optim';
/** Data sets: `spiral`, `moons`, `xor`, and the handwritten `digits`. */
export * as data from './data';
