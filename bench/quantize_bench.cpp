// Google Benchmark of the int8 boundary quantizer (every kernel of quantize_kernels(), 1 and 2 threads, 1/16/64 MiB
// of float32 input) against memcpy of the same buffer as the memory-bandwidth yardstick, and of the calibration
// histogram collector on 1M-element batches. "GB/s" counts bytes read + written (decimal GB): 5 bytes per element
// for quantize, 2x the buffer for memcpy, 4 bytes per element (read only) for the collector.
//   build/bench/quantize_bench [--benchmark_filter=quantize/avx2] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "quant/histogram.h"
#include "quant/quantize_kernels.h"

namespace tandem {
namespace {

constexpr int64_t kMiB = int64_t{1} << 20;
constexpr int64_t kSizesMiB[] = {1, 16, 64};
constexpr int kThreads[] = {1, 2};

std::vector<float> gaussian(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

void run_quantize(benchmark::State& state, QuantizeFn kernel, int64_t bytes, int threads) {
  omp_set_num_threads(threads);
  const int64_t n = bytes / 4;
  const std::vector<float> x = gaussian(n, 1);
  std::vector<int8_t> y(static_cast<size_t>(n));
  const float scale = 4.0f / 127.0f;
  for (auto _ : state) {
    quantize_f32_to_s8_using(kernel, x.data(), y.data(), n, scale, threads);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(n) * 5 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// One contiguous chunk per thread, as the quantizer splits its buffer.
void run_memcpy(benchmark::State& state, int64_t bytes, int threads) {
  omp_set_num_threads(threads);
  std::vector<char> src(static_cast<size_t>(bytes), 1), dst(static_cast<size_t>(bytes));
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      const int64_t per = (bytes + omp_get_num_threads() - 1) / omp_get_num_threads();
      const int64_t begin = std::min(bytes, per * omp_get_thread_num()), end = std::min(bytes, begin + per);
      std::memcpy(dst.data() + begin, src.data() + begin, static_cast<size_t>(end - begin));
    }
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(bytes) * 2 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// A fresh collector per iteration would time its 16 KiB allocation; one collector fed the same batch repeatedly
// measures add() alone (the range stops growing after the first call, as in a real calibration run).
void run_histogram(benchmark::State& state, bool relu) {
  const int64_t n = int64_t{1} << 20;
  std::vector<float> x = gaussian(n, 2);
  if (relu)
    for (float& v : x) v = std::max(v, 0.0f);  // half the values exactly 0: one hot bin
  HistogramCollector c;
  for (auto _ : state) c.add(x.data(), n);
  benchmark::DoNotOptimize(c.histogram().counts.data());
  state.counters["GB/s"] =
      benchmark::Counter(static_cast<double>(n) * 4 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int register_all() {
  for (int64_t mib : kSizesMiB) {
    for (int threads : kThreads) {
      // Appended, not "/" + std::string: that form trips a GCC 12 -Wrestrict false positive.
      const std::string suffix =
          std::string("/").append(std::to_string(mib)).append("MiB/threads:").append(std::to_string(threads));
      for (const QuantizeKernel& k : quantize_kernels()) {
        const std::string name = std::string("quantize/").append(k.name).append(suffix);
        benchmark::RegisterBenchmark(
            name.c_str(), [fn = k.fn, mib, threads](benchmark::State& s) { run_quantize(s, fn, mib * kMiB, threads); })
            ->Unit(benchmark::kMicrosecond)
            ->UseRealTime();
      }
      const std::string name = std::string("memcpy").append(suffix);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [mib, threads](benchmark::State& s) { run_memcpy(s, mib * kMiB, threads); })
          ->Unit(benchmark::kMicrosecond)
          ->UseRealTime();
    }
  }
  benchmark::RegisterBenchmark("histogram_collector/gaussian/1M", [](benchmark::State& s) {
    run_histogram(s, false);
  })->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("histogram_collector/relu/1M", [](benchmark::State& s) {
    run_histogram(s, true);
  })->Unit(benchmark::kMicrosecond);
  return 0;
}
const int registered = register_all();

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
