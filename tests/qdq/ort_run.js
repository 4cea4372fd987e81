#!/usr/bin/env node
// Runs one ONNX model with ONNX Runtime (CPU EP, bench/'s pinned onnxruntime-node) on one .npy input and writes
// every output as OUT/<name>.npy. Graph optimisation "all", so a Q/DQ model runs on ORT's int8 kernels
// (QLinearConv, MatMulIntegerToFloat...) as a deployment would.
//
//   node tests/qdq/ort_run.js --model M.onnx --input x.npy --out DIR [--threads 1]
'use strict';

const fs = require('fs');
const path = require('path');
const { readNpy, writeNpy } = require('../zoo/ort_reference.js');

async function main() {
  const args = { threads: 1 };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!['model', 'input', 'out', 'threads'].includes(key) || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[key] = key === 'threads' ? parseInt(argv[i + 1], 10) : argv[i + 1];
  }
  if (!args.model || !args.input || !args.out) throw new Error('--model, --input and --out are required');
  const ort = require(path.join(__dirname, '..', '..', 'bench', 'node_modules', 'onnxruntime-node'));
  const session = await ort.InferenceSession.create(args.model, {
    executionProviders: ['cpu'], intraOpNumThreads: args.threads, interOpNumThreads: 1,
    graphOptimizationLevel: 'all', executionMode: 'sequential',
  });
  const x = readNpy(args.input);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x.data, x.shape) };
  const results = await session.run(feeds);
  fs.mkdirSync(args.out, { recursive: true });
  for (const name of session.outputNames) writeNpy(path.join(args.out, `${name}.npy`), results[name]);
}

main().catch((e) => {
  process.stderr.write(`ort_run: ${e.stack || e.message}\n`);
  process.exit(1);
});
