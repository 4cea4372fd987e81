#!/usr/bin/env node
// Persistent ONNX Runtime timing worker for bench/compare_peers.py.
//
//   node bench/peers/ort_worker.js --model PATH --threads N
//
// Protocol: one JSON object per line on stdin, one JSON answer per line on stdout; nothing else goes to stdout
// (logs go to stderr).
//   {"cmd":"info"}                                               -> {"peer":"ort","version":...,"threads":N,...}
//   {"cmd":"run","shape":[1,3,H,W],"iterations":K,"warmup":W}    -> {"times_ms":[...K values...],"outputs":{...}}
//   {"cmd":"run","input":"X.npy","iterations":K,"warmup":W}      -> the same, fed from a float32 .npy file instead
//   {"cmd":"quit"}                                               -> exits 0
// A bad command answers {"error":"..."} and the worker keeps going.
//
// times_ms holds the wall time of each `await session.run(feeds)`, including the copy-out of the outputs into JS
// tensors (ORT always does that; PyTorch's and Tandem's timings likewise include producing their outputs).
// The input is deterministic pseudo-random data, identical across calls and identical to torch_worker.py's, or,
// with "input", the contents of a .npy file (bench/zoo_bench.py feeds ORT and Tandem the zoo's own input file).
'use strict';

const path = require('path');
const readline = require('readline');

const { pseudoRandom, INPUT_SEED } = require('./pseudo_random');

function log(...args) {
  process.stderr.write(`[ort_worker] ${args.join(' ')}\n`);
}

function parseArgs(argv) {
  const args = { model: null, threads: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--model') args.model = next();
    else if (a === '--threads') args.threads = parseInt(next(), 10);
    else throw new Error(`unknown argument ${a}`);
  }
  if (!args.model) throw new Error('--model PATH is required');
  if (!(args.threads >= 1)) throw new Error('--threads must be a positive integer');
  return args;
}


// Reads a little-endian float32, C-order .npy file (what NumPy's np.save writes) as {shape, data}.
function readNpy(file) {
  const buf = require('fs').readFileSync(file);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const v2 = buf[6] >= 2;
  const start = v2 ? 12 : 10;
  const header = buf.toString('latin1', start, start + (v2 ? buf.readUInt32LE(8) : buf.readUInt16LE(8)));
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || descr[1] !== '<f4') throw new Error(`${file}: expected dtype <f4, header ${header.trim()}`);
  if (!fortran || fortran[1] !== 'False' || !shapeText) throw new Error(`${file}: unsupported header ${header}`);
  const shape = shapeText[1].split(',').map((t) => t.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + header.length;
  if (buf.length < offset + 4 * n) throw new Error(`${file}: truncated (${buf.length} bytes for ${n} floats)`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(offset + 4 * i);
  return { shape, data };
}

function summarize(results) {
  const outputs = {};
  for (const [name, t] of Object.entries(results)) {
    let sum = 0;
    let absSum = 0;
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      sum += d[i];
      absSum += Math.abs(d[i]);
    }
    outputs[name] = { dims: Array.from(t.dims), mean: sum / d.length, mean_abs: absSum / d.length };
  }
  return outputs;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require('onnxruntime-node');
  } catch (e) {
    log(`cannot load onnxruntime-node (${e.message}); run "npm ci --ignore-scripts" in bench/`);
    process.exit(2);
  }
  const version = require('onnxruntime-node/package.json').version;
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  };
  const t0 = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(path.resolve(args.model), options);
  const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
  log(`onnxruntime-node ${version}, ${args.model}, ${args.threads} thread(s),` +
      ` session created in ${createMs.toFixed(0)} ms`);
  const inputName = session.inputNames[0];
  const inputs = new Map(); // shape key or .npy path -> feeds

  function feedsFromFile(file) {
    if (!inputs.has(file)) {
      const { shape, data } = readNpy(file);
      inputs.set(file, { [inputName]: new ort.Tensor('float32', data, shape) });
    }
    return inputs.get(file);
  }

  function feedsFor(shape) {
    const key = shape.join('x');
    if (!inputs.has(key)) {
      const n = shape.reduce((a, b) => a * b, 1);
      inputs.set(key, { [inputName]: new ort.Tensor('float32', pseudoRandom(n, INPUT_SEED), shape) });
    }
    return inputs.get(key);
  }

  async function handle(msg) {
    switch (msg.cmd) {
      case 'info':
        return {
          peer: 'ort', version, threads: args.threads, model: args.model, session_create_ms: createMs,
          input: inputName, outputs: session.outputNames, options,
        };
      case 'run': {
        const shape = msg.shape;
        if (msg.input === undefined &&
            (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0))) {
          throw new Error('run needs "shape": [1,3,H,W] or "input": "FILE.npy"');
        }
        const iterations = msg.iterations ?? 10;
        const warmup = msg.warmup ?? 1;
        const feeds = msg.input !== undefined ? feedsFromFile(String(msg.input)) : feedsFor(shape);
        let results = null;
        for (let i = 0; i < warmup; i++) results = await session.run(feeds);
        const times = [];
        for (let i = 0; i < iterations; i++) {
          const s = process.hrtime.bigint();
          results = await session.run(feeds);
          times.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        return { times_ms: times, outputs: results ? summarize(results) : {} };
      }
      default:
        throw new Error(`unknown cmd ${JSON.stringify(msg.cmd)}`);
    }
  }

  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: `bad JSON: ${e.message}` }) + '\n');
      continue;
    }
    if (msg.cmd === 'quit') break;
    let answer;
    try {
      answer = await handle(msg);
    } catch (e) {
      log(e.stack || e.message);
      answer = { error: e.message };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
  await session.release();
  process.exit(0);
}

main().catch((e) => {
  log(e.stack || e.message);
  process.exit(1);
});
