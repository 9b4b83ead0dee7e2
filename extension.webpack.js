// Extra rspack config for `jupyter-builder build .` (package.json "jupyterlab.webpackConfig").
//
// The builder exposes the package's "main" as the extension's `./index` and
// as its shared root module. gradlab's "main" is the engine (CommonJS for
// Node and the tslab kernel), which has no business in the browser bundle:
// point that entry at the extension instead. The extension itself imports
// nothing from the engine but engine/display/contract.ts.
const path = require('path');
const { rspack } = require('@rspack/core');

const engineMain = path.resolve(__dirname, require('./package.json').main);
const extensionMain = path.resolve(__dirname, 'lib/extension/index.js');

module.exports = {
  plugins: [new rspack.NormalModuleReplacementPlugin(new RegExp(`^${engineMain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`), extensionMain)],
};
