#!/usr/bin/env node
// Reference outputs for the model conformance harness: ONNX Runtime (CPU EP, bench/'s pinned onnxruntime-node).
//
//   node tests/zoo/ort_reference.js [--zoo build/zoo] [--models a,b] [--threads 1] [--force]
//
// For every entry of ZOO/manifest.json (written by export_zoo.py) and every size it lists, runs the model on
// ZOO/inputs/HxW.npy and writes each output as ZOO/ref/<model file without .onnx>/HxW/<output name>.npy.
// Existing reference files are kept unless --force or the model file changed (ref/STEM/model.sha256). ORT runs
// with graph optimisation "basic" (constant folding and redundant-node removal only, no fusions), one intra-op
// thread, sequential execution.
// A model ORT itself cannot load or run is an error: the harness has no reference for it.
'use strict';

const fs = require('fs');
const path = require('path');

function parseArgs(argv) {
  const args = { zoo: 'build/zoo', models: null, threads: 1, force: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--zoo') args.zoo = next();
    else if (a === '--models') args.models = new Set(next().split(',').filter(Boolean));
    else if (a === '--threads') args.threads = parseInt(next(), 10);
    else if (a === '--force') args.force = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const NPY_MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

// Reads a little-endian float32, C-order .npy file (what export_zoo.py writes) as {shape, data}.
function readNpy(file) {
  const buf = fs.readFileSync(file);
  if (!buf.subarray(0, 6).equals(NPY_MAGIC)) throw new Error(`${file}: not a .npy file`);
  const major = buf[6];
  const headerLen = major >= 2 ? buf.readUInt32LE(8) : buf.readUInt16LE(8);
  const start = (major >= 2 ? 12 : 10);
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']+)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || descr[1] !== '<f4') throw new Error(`${file}: expected dtype <f4, header ${header.trim()}`);
  if (!fortran || fortran[1] !== 'False') throw new Error(`${file}: Fortran order is not supported`);
  const shape = shapeText[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = buf.readFloatLE(offset + 4 * i);
  return { shape, data };
}

function npyDescr(type) {
  const d = { float32: '<f4', int64: '<i8', int32: '<i4', bool: '|b1', uint8: '|u1', int8: '|i1' }[type];
  if (!d) throw new Error(`output type ${type} cannot be written as .npy`);
  return d;
}

function writeNpy(file, tensor) {
  const shape = Array.from(tensor.dims);
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${npyDescr(tensor.type)}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.alloc(10);
  NPY_MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const data = tensor.data;
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([head, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  let ort;
  try {
    ort = require(path.join(__dirname, '..', '..', 'bench', 'node_modules', 'onnxruntime-node'));
  } catch (e) {
    process.stderr.write(`ort_reference: cannot load onnxruntime-node (${e.message}); ` +
                         'run "npm ci --ignore-scripts" in bench/\n');
    process.exit(2);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(args.zoo, 'manifest.json'), 'utf8'));
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'basic',
    executionMode: 'sequential',
  };
  let failures = 0;
  for (const entry of manifest.entries) {
    if (args.models && !args.models.has(entry.model)) continue;
    const stem = entry.file.replace(/\.onnx$/, '');
    // References are tied to the exact model file: a re-export (new weights) makes them stale.
    const stampFile = path.join(args.zoo, 'ref', stem, 'model.sha256');
    const stale = !fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8').trim() !== entry.sha256;
    const todo = entry.sizes.filter((size) => args.force || stale ||
        !entry.outputs.every((o) => fs.existsSync(path.join(args.zoo, 'ref', stem, size, `${o}.npy`))));
    if (todo.length === 0) continue;
    const failuresBefore = failures;
    const t0 = process.hrtime.bigint();
    let session;
    try {
      session = await ort.InferenceSession.create(path.resolve(args.zoo, entry.file), options);
    } catch (e) {
      process.stderr.write(`ort_reference: ${entry.file}: ORT cannot load it: ${e.message}\n`);
      failures++;
      continue;
    }
    const createMs = Number(process.hrtime.bigint() - t0) / 1e6;
    for (const size of todo) {
      const input = readNpy(path.join(args.zoo, 'inputs', `${size}.npy`));
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
      const t1 = process.hrtime.bigint();
      let results;
      try {
        results = await session.run(feeds);
      } catch (e) {
        process.stderr.write(`ort_reference: ${entry.file} at ${size}: ORT cannot run it: ${e.message}\n`);
        failures++;
        continue;
      }
      const runMs = Number(process.hrtime.bigint() - t1) / 1e6;
      const dir = path.join(args.zoo, 'ref', stem, size);
      fs.mkdirSync(dir, { recursive: true });
      const dims = [];
      for (const name of entry.outputs) {
        writeNpy(path.join(dir, `${name}.npy`), results[name]);
        dims.push(`${name} [${Array.from(results[name].dims).join(',')}]`);
      }
      process.stdout.write(`ort_reference: ${entry.file} ${size}: ${dims.join(' ')}, ` +
                           `session ${createMs.toFixed(0)} ms, run ${runMs.toFixed(0)} ms\n`);
    }
    await session.release();
    if (todo.length && failures === failuresBefore) fs.writeFileSync(stampFile, `${entry.sha256}\n`);
  }
  if (failures) {
    process.stderr.write(`ort_reference: ${failures} model/size combination(s) failed in ORT\n`);
    process.exit(1);
  }
}

module.exports = { readNpy, writeNpy };

if (require.main === module) {
  main().catch((e) => {
    process.stderr.write(`ort_reference: ${e.stack || e.message}\n`);
    process.exit(1);
  });
}
