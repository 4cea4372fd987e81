#!/usr/bin/env node
// ONNX Runtime's per-node profile of one model, to set beside `tandem run MODEL --profile` when a model is slower
// in Tandem than in ORT (that is how ConvNeXt's batched linears, oneDNN's slow swish and the classifier heads were found).
//
//   node bench/peers/ort_profile.js --model M.onnx [--shape HxW] [--threads N] [--iterations K] [--top T]
//
// Same session options as ort_worker.js (CPU EP, graph optimisation `all`, sequential), profiling on. Prints the
// kernel time per op type and the T slowest nodes, in ms per run (averaged over K runs after one warm-up). The
// input is the same deterministic pseudo-random data as the workers'; ORT's profile file is deleted afterwards.
// Timings under profiling run a little slower than without; compare shares and per-node figures, not the total.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');

const { pseudoRandom, INPUT_SEED } = require('./pseudo_random');

function parseArgs(argv) {
  const args = { model: null, shape: '224x224', threads: 1, iterations: 20, top: 15 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--model') args.model = next();
    else if (a === '--shape') args.shape = next();
    else if (a === '--threads') args.threads = parseInt(next(), 10);
    else if (a === '--iterations') args.iterations = parseInt(next(), 10);
    else if (a === '--top') args.top = parseInt(next(), 10);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.model) throw new Error('--model PATH is required');
  if (!/^\d+x\d+$/.test(args.shape)) throw new Error(`--shape must be HxW, got ${args.shape}`);
  for (const k of ['threads', 'iterations', 'top'])
    if (!(args[k] >= 1)) throw new Error(`--${k} must be a positive integer`);
  return args;
}


async function main() {
  const args = parseArgs(process.argv.slice(2));
  const ort = require('onnxruntime-node');
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ort_profile_')), 'profile');
  const session = await ort.InferenceSession.create(path.resolve(args.model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableProfiling: true,
    profileFilePrefix: prefix,
  });
  const [h, w] = args.shape.split('x').map(Number);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', pseudoRandom(3 * h * w, INPUT_SEED), [1, 3, h, w]) };
  await session.run(feeds);  // warm-up, left out below
  for (let i = 0; i < args.iterations; i++) await session.run(feeds);
  session.endProfiling();
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).map((f) => path.join(dir, f)).find((f) => f.endsWith('.json'));
  if (!file) throw new Error(`ONNX Runtime wrote no profile under ${dir}`);
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.rmSync(dir, { recursive: true, force: true });

  // The warm-up run is profiled too: leave out everything up to its end.
  const modelRuns = events.filter((e) => e.name === 'model_run').sort((a, b) => a.ts - b.ts);
  const warmupEnd = modelRuns[0].ts + modelRuns[0].dur;
  const runs = modelRuns.length - 1;
  const byOp = new Map();
  const byNode = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < warmupEnd) continue;
    const op = (e.args && e.args.op_name) || '?';
    const o = byOp.get(op) || { us: 0, count: 0 };
    o.us += e.dur;
    o.count += 1;
    byOp.set(op, o);
    const node = e.name.slice(0, -'_kernel_time'.length);
    const n = byNode.get(node) || { us: 0, op };
    n.us += e.dur;
    byNode.set(node, n);
  }
  const ms = (us) => (us / runs / 1000).toFixed(3);
  const total = [...byOp.values()].reduce((s, o) => s + o.us, 0);
  console.log(`ONNX Runtime ${require('onnxruntime-node/package.json').version}, ${args.model} at ${args.shape}, ` +
              `${args.threads} thread(s), ${runs} profiled runs: ${ms(total)} ms of kernels per run`);
  console.log('  per op type (ms per run, nodes):');
  for (const [op, o] of [...byOp].sort((a, b) => b[1].us - a[1].us))
    console.log(`    ${ms(o.us).padStart(9)}  ${String(o.count / runs).padStart(4)}  ${op}`);
  console.log(`  slowest ${args.top} nodes (ms per run):`);
  for (const [node, n] of [...byNode].sort((a, b) => b[1].us - a[1].us).slice(0, args.top))
    console.log(`    ${ms(n.us).padStart(9)}  ${node} (${n.op})`);
}

main().catch((e) => {
  process.stderr.write(`ort_profile: ${e.message}\n`);
  process.exit(1);
});
