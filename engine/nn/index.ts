/**
 * gradlab's small neural-network toolkit (`gl.nn`), with `gl.optim` (optimisers)
 * and `gl.data` (data sets).
 *
 * API summary:
 *
 * Layers (each runs its forward inside `gl.scope(layer.name, ...)`):
 * - `new nn.Linear(in, out, {name?, init?: 'he' | 'xavier' | 'small', seed?, rng?, bias?})`: y = xW + b,
 *   W [in, out] (He-uniform by default), b [out] zeros; a wrong input width throws naming the layer and both sizes.
 * - `new nn.ReLU()`, `new nn.Sigmoid()`, `new nn.Tanh()`, `new nn.Sequential([...layers], {name?})`.
 * - `nn.mlp([2, 100, 3], {activation?: 'relu' | 'sigmoid' | 'tanh', seed?, init?, name?})`:
 *   layers 'fc1', 'relu1', 'fc2'; parameters '0.weight', '0.bias', '2.weight', '2.bias'.
 * - every Module: `forward(x)`, `parameters()`, `namedParameters()`, `weights()`, `zeroGrad()`,
 *   `stateDict()`, `loadStateDict(d)`, `history` (the last train run, kept even when interrupted).
 *
 * Losses (means over the batch; compose them: `nn.softmaxCrossEntropy(s, y).add(nn.l2(model, 1e-3))`):
 * - `softmaxCrossEntropy(scores [N, C], labels)`, `svmLoss(scores, labels, {delta = 1})`,
 *   `logisticLoss(scores [N] | [N, 1], y ∈ {−1, +1})`, `mse(pred, target)`,
 *   `l2(model | tensors, λ)` = λΣW² (a model: weights only, no biases).
 * - `predict(scores)` (argmax per row), `accuracy(scores, labels)`.
 *
 * Training: `await nn.train(model, {X, y}, {loss?, reg?, optimizer?, lr?, momentum?, batchSize = 64,
 * epochs = 10 | steps, seed = 0, evalEvery?, validation?, curve = true, signal?})` → `TrainHistory`
 * (`losses`, `evals`, `steps`, `epochs`, `seconds`, `stopped`, `accuracy`, `valAccuracy`).
 * The stop button stops it within one step; `model.history` keeps the partial history.
 * `nn.evaluate(model, data)` → accuracy; `nn.scores(model, X)` without a graph.
 *
 * Saving: `nn.save(model, 'net.json')`, `nn.load(model, 'net.json')` (a JSON state dict).
 *
 * Optimisers (`gl.optim`): `new SGD(model | params, {lr, momentum?, weightDecay?})`,
 * `new Adam(model | params, {lr?, beta1?, beta2?, eps?})`; `zeroGrad()`, `step()`; `lr` may be a
 * schedule: `stepDecay(lr, every, factor)`, `exponentialDecay(lr, γ)`, `cosine(lr, T, min)`, `warmup(n, after)`.
 *
 * Data (`gl.data`): `spiral({classes = 3, pointsPerClass = 100, noise = 0.2, seed = 0})`,
 * `moons({n = 200, noise = 0.1, seed})`, `xor({n = 200, noise = 0.1, seed})` → `{X, y, numClasses}`;
 * `digits({scale?})` → `{train, test, all, testIndices}` (UCI digits, 8×8, fixed stratified 80/20 split).
 */
export { Module, Linear, ReLU, Sigmoid, Tanh, Sequential, mlp } from './module';
export type { StateDict, Init, LinearOptions, MlpOptions, ActivationName } from './module';
export { softmaxCrossEntropy, svmLoss, logisticLoss, mse, l2, predict, accuracy, type Labels } from './losses';
export { train, evaluate, scores, TrainHistory } from './train';
export type { TrainOptions, TrainData, EvalPoint, LossFn } from './train';
export { save, load, type SavedModel } from './state';
