// The pipeline's promises, on engines whose timing the test controls: frames come back in submission order;
// submit() blocks while the ring is full; a stage never sees its input overwritten while it reads it (the
// webinar sample's single-buffer hazard); a failing stage reaches the caller and shuts the pipeline without
// deadlock; shutting down with frames in flight is clean.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include "backends/cpu/cpu_unit.h"
#include "runtime/pipeline.h"

namespace tandem {
namespace {

void sleep_us(int us) { std::this_thread::sleep_for(std::chrono::microseconds(us)); }

// An engine that runs a test function on its bound buffers.
class FakeEngine final : public Engine {
 public:
  using Fn = std::function<Status(std::span<const Tensor>, std::span<Tensor>)>;
  FakeEngine(std::vector<TensorDesc> in, std::vector<TensorDesc> out, Fn fn)
      : in_(std::move(in)), out_(std::move(out)), fn_(std::move(fn)) {}
  const std::vector<TensorDesc>& inputs() const override { return in_; }
  const std::vector<TensorDesc>& outputs() const override { return out_; }
  const std::vector<StepInfo>& steps() const override { return steps_; }
  Status run_bound(std::span<const Tensor> in, std::span<Tensor> out, const RunProbe*) override { return fn_(in, out); }

 private:
  std::vector<TensorDesc> in_, out_;
  std::vector<StepInfo> steps_;
  Fn fn_;
};

// image -> [backbone on unit 0] -> feature -> [head on unit 1] -> result; one float each.
struct TwoStage {
  std::unique_ptr<Deployment> deployment;
};

TwoStage make_two_stage(FakeEngine::Fn backbone, FakeEngine::Fn head, int in_flight) {
  std::vector<int> cores = current_thread_cores();
  Plan plan;
  plan.units = {{"u0", "cpu", {cores.front()}}, {"u1", "cpu", {cores.back()}}};
  plan.fallback_unit = "u0";
  plan.in_flight = in_flight;
  std::vector<std::unique_ptr<Unit>> units;
  for (const UnitSpec& u : plan.units) units.push_back(std::make_unique<CpuUnit>(u));
  TensorDesc image{"image", DType::kFloat32, {1}}, feature{"feature", DType::kFloat32, {1}},
      result{"result", DType::kFloat32, {1}};
  std::vector<BoundaryTensor> tensors{{"image", DType::kFloat32, {1}, -1, {0}, false},
                                      {"feature", DType::kFloat32, {1}, 0, {1}, false},
                                      {"result", DType::kFloat32, {1}, 1, {}, true}};
  std::vector<DeployedStage> stages(2);
  stages[0].name = "backbone";
  stages[0].unit = 0;
  stages[0].engine = std::make_unique<FakeEngine>(std::vector<TensorDesc>{image}, std::vector<TensorDesc>{feature},
                                                  std::move(backbone));
  stages[0].inputs = {0};
  stages[0].outputs = {1};
  stages[1].name = "head";
  stages[1].unit = 1;
  stages[1].engine = std::make_unique<FakeEngine>(std::vector<TensorDesc>{feature}, std::vector<TensorDesc>{result},
                                                  std::move(head));
  stages[1].inputs = {1};
  stages[1].outputs = {2};
  return {Deployment::assemble(plan, std::move(units), std::move(stages), tensors, {0}, {2})};
}

float& at(std::span<Tensor> t) { return t[0].data<float>()[0]; }
float at(std::span<const Tensor> t) { return t[0].data<float>()[0]; }

// The backbone copies image -> feature; the head sleeps while "reading" and checks the feature never
// changed under it, then writes result = feature * 10. Fast backbone, slow irregular head: the backbone
// would overwrite a single buffer many times over if anything allowed it.
TEST(Pipeline, InOrderAndNoBufferOverwrittenWhileRead) {
  for (int in_flight : {1, 2, 4}) {
    std::atomic<int> torn{0};
    std::atomic<int> calls{0};
    TwoStage p = make_two_stage(
        [](std::span<const Tensor> in, std::span<Tensor> out) {
          at(out) = at(in);
          return Status::ok();
        },
        [&](std::span<const Tensor> in, std::span<Tensor> out) {
          float before = at(in);
          sleep_us(500 + 700 * (calls++ % 3));
          if (at(in) != before) ++torn;
          at(out) = before * 10;
          return Status::ok();
        },
        in_flight);
    auto pipeline = Pipeline::create(*p.deployment, {});
    ASSERT_TRUE(pipeline.is_ok()) << pipeline.status().to_string();
    Pipeline& pl = **pipeline;
    Tensor input = Tensor::make(DType::kFloat32, {1}), output = Tensor::make(DType::kFloat32, {1});
    std::vector<Tensor> in{input}, out{output};
    int64_t next_receive = 0;
    for (int f = 0; f < 40; ++f) {
      if (pl.pending() == pl.in_flight()) {
        auto t = pl.receive(out);
        ASSERT_TRUE(t.is_ok()) << t.status().to_string();
        EXPECT_EQ(t->frame, next_receive);
        EXPECT_EQ(out[0].data<float>()[0], static_cast<float>(next_receive) * 10) << "frame " << next_receive;
        ++next_receive;
      }
      in[0].data<float>()[0] = static_cast<float>(f);
      ASSERT_TRUE(pl.submit(in).is_ok());
    }
    while (pl.pending() > 0) {
      auto t = pl.receive(out);
      ASSERT_TRUE(t.is_ok());
      EXPECT_EQ(out[0].data<float>()[0], static_cast<float>(next_receive++) * 10);
    }
    EXPECT_EQ(torn.load(), 0) << "a head's input changed while it was reading it (in_flight " << in_flight << ")";
  }
}

// A producer thread submits as fast as it can; the consumer is slow. submit() must block once in_flight()
// frames are pending, and the two threads must still see every frame once, in order.
TEST(Pipeline, SubmitBlocksWhileTheRingIsFull) {
  TwoStage p = make_two_stage(
      [](std::span<const Tensor> in, std::span<Tensor> out) {
        at(out) = at(in);
        return Status::ok();
      },
      [](std::span<const Tensor> in, std::span<Tensor> out) {
        at(out) = at(in) + 1;
        return Status::ok();
      },
      3);
  auto pipeline = Pipeline::create(*p.deployment, {});
  ASSERT_TRUE(pipeline.is_ok());
  Pipeline& pl = **pipeline;
  std::atomic<int64_t> max_pending{0};
  std::thread producer([&] {
    Tensor input = Tensor::make(DType::kFloat32, {1});
    std::vector<Tensor> in{input};
    for (int f = 0; f < 30; ++f) {
      in[0].data<float>()[0] = static_cast<float>(f);
      ASSERT_TRUE(pl.submit(in).is_ok());
      max_pending = std::max(max_pending.load(), pl.pending());
    }
  });
  Tensor output = Tensor::make(DType::kFloat32, {1});
  std::vector<Tensor> out{output};
  for (int f = 0; f < 30; ++f) {
    sleep_us(2000);  // slow consumer
    auto t = pl.receive(out);
    ASSERT_TRUE(t.is_ok());
    EXPECT_EQ(t->frame, f);
    EXPECT_EQ(out[0].data<float>()[0], static_cast<float>(f + 1));
  }
  producer.join();
  EXPECT_LE(max_pending.load(), 3) << "never more frames in flight than slots";
  EXPECT_EQ(max_pending.load(), 3) << "the fast producer filled the ring";
}

// A failure (an error or an exception) in the head at frame 5 reaches receive() with its message; every
// later call returns it; a producer blocked in submit() is woken; nothing deadlocks on the way down.
TEST(Pipeline, StageFailureReachesTheCallerAndShutsDown) {
  for (bool throws : {false, true}) {
    std::atomic<int> calls{0};
    TwoStage p = make_two_stage(
        [](std::span<const Tensor> in, std::span<Tensor> out) {
          at(out) = at(in);
          return Status::ok();
        },
        [&](std::span<const Tensor> in, std::span<Tensor> out) -> Status {
          if (calls++ == 5) {
            if (throws) throw std::runtime_error("bad alloc in head");
            return Status(Code::kInternal, "head failed");
          }
          at(out) = at(in);
          return Status::ok();
        },
        2);
    auto pipeline = Pipeline::create(*p.deployment, {});
    ASSERT_TRUE(pipeline.is_ok());
    Pipeline& pl = **pipeline;
    Tensor input = Tensor::make(DType::kFloat32, {1}), output = Tensor::make(DType::kFloat32, {1});
    std::vector<Tensor> in{input}, out{output};
    Status failure;
    std::thread producer([&] {
      for (int f = 0; f < 100; ++f)
        if (!pl.submit(in).is_ok()) return;  // woken by the failure instead of blocking forever
    });
    for (int f = 0; f < 100 && failure.is_ok(); ++f) {
      auto t = pl.receive(out);
      if (!t.is_ok()) failure = t.status();
      else EXPECT_LT(f, 5);
    }
    producer.join();
    ASSERT_FALSE(failure.is_ok());
    EXPECT_NE(failure.message().find(throws ? "bad alloc in head" : "head failed"), std::string::npos)
        << failure.to_string();
    EXPECT_NE(failure.message().find("frame 5"), std::string::npos) << failure.to_string();
    EXPECT_FALSE(pl.submit(in).is_ok());
    EXPECT_FALSE(pl.receive(out).is_ok());
  }
}

TEST(Pipeline, DestroyedWithFramesInFlight) {
  std::atomic<int> ran{0};
  {
    TwoStage p = make_two_stage(
        [](std::span<const Tensor> in, std::span<Tensor> out) {
          at(out) = at(in);
          return Status::ok();
        },
        [&](std::span<const Tensor> in, std::span<Tensor> out) {
          sleep_us(3000);
          at(out) = at(in);
          ++ran;
          return Status::ok();
        },
        4);
    auto pipeline = Pipeline::create(*p.deployment, {});
    ASSERT_TRUE(pipeline.is_ok());
    Tensor input = Tensor::make(DType::kFloat32, {1});
    std::vector<Tensor> in{input};
    for (int f = 0; f < 4; ++f) ASSERT_TRUE((*pipeline)->submit(in).is_ok());
    // Destroyed here, with 4 frames pending and never received.
  }
  EXPECT_EQ(ran.load(), 4) << "in-flight work finishes before the buffers go away";
}

}  // namespace
}  // namespace tandem
