// The engine's per-frame promises, checked on MTNet-B0 (every kernel kind the model uses):
// a frame allocates nothing (malloc is interposed and counted), and a run uses exactly the threads asked for.
#include <gtest/gtest.h>

#include <thread>

#include "backends/cpu/cpu_engine.h"
#include "backends/cpu/onednn_common.h"
#include "alloc_counter.h"
#include "runtime/model_session.h"

namespace tandem {
namespace {

using testing::g_allocations;
using testing::g_counting;
using testing::g_onednn_allocations;
using testing::os_threads;

struct Loaded {
  std::unique_ptr<ModelSession> session;
  CpuEngine* engine = nullptr;
  std::vector<Tensor> inputs, outputs;
};

Loaded load(int threads) {
  Loaded l;
  ModelSessionOptions options;
  options.threads = threads;
  auto s = ModelSession::load(std::string(TANDEM_MODELS_DIR) + "/mtnet_b0_op17_dynamic.onnx", options);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  if (!s.is_ok()) return l;
  l.session = std::move(s.value());
  auto e = l.session->engine_for({{"image", {1, 3, 128, 256}}});
  EXPECT_TRUE(e.is_ok()) << e.status().to_string();
  if (!e.is_ok()) return l;
  l.engine = *e;
  l.inputs.push_back(Tensor::make(DType::kFloat32, {1, 3, 128, 256}));
  for (const TensorDesc& d : l.engine->outputs()) l.outputs.push_back(Tensor::make(d.dtype, d.shape));
  return l;
}

TEST(Engine, NoAllocationPerFrame) {
  Loaded l = load(2);
  ASSERT_NE(l.engine, nullptr);
  ASSERT_TRUE(l.engine->run(l.inputs, l.outputs).is_ok());  // first run may start the OpenMP pool
  g_allocations = 0;
  g_counting = true;
  Status st;
  for (int i = 0; i < 3 && st.is_ok(); ++i) st = l.engine->run(l.inputs, l.outputs);
  g_counting = false;
  ASSERT_TRUE(st.is_ok()) << st.to_string();
  EXPECT_EQ(g_allocations.load(), 0) << "Tandem's own allocations during 3 frames";
  // oneDNN 2.6 allocates its per-execute argument map internally; reported, not Tandem's to remove.
  std::printf("oneDNN-internal allocations per frame: %ld, libgomp's: %ld\n", g_onednn_allocations.load() / 3,
              testing::g_openmp_allocations.load() / 3);
}

TEST(Engine, OneThread) {
  int before = os_threads();
  Loaded l = load(1);
  ASSERT_NE(l.engine, nullptr);
  ASSERT_TRUE(l.engine->run(l.inputs, l.outputs).is_ok());
  EXPECT_EQ(os_threads(), before) << "a 1-thread run must not start worker threads";
}

TEST(Engine, TwoThreads) {
#if defined(__SANITIZE_THREAD__)
  std::thread([] {}).join();  // ThreadSanitizer starts a thread of its own at the first pthread_create
#endif
  int before = os_threads();
  Loaded l = load(2);
  ASSERT_NE(l.engine, nullptr);
  ASSERT_TRUE(l.engine->run(l.inputs, l.outputs).is_ok());
  EXPECT_EQ(os_threads(), before + 1) << "a 2-thread run uses the caller plus exactly one worker";
}

}  // namespace
}  // namespace tandem
