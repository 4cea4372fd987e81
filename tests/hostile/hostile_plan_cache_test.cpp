// Hostile deployment plans (`tandem run M --plan P`) and calibration caches (`tandem build M --plan P_int8
// --calib-cache C`): bad JSON, out-of-range cores and counts, deep nesting, devices, FIFOs and oversized files,
// and scales that cannot quantise.
#include <string>

#include "hostile_harness.h"
#include "hostile_models.h"

namespace hostile {
namespace {

// A one-stage plan on core 0 with `units` and `extra` top-level fields spliced in.
std::string plan_json(const std::string& cores = "[0]", const std::string& extra = "",
                      const std::string& precision = "fp32") {
  return R"({"units": [{"name": "u", "kind": "cpu", "cores": )" + cores + R"(}],
      "stages": [{"name": "s", "unit": "u", "outputs": ["y"], "precision": ")" + precision + "\"}]" + extra + "}";
}

class HostileDeployment : public HostileTest {
 protected:
  void SetUp() override {
    HostileTest::SetUp();
    model_ = write_bytes("m.onnx", small_model().model().SerializeAsString());
  }
  HostileResult run_plan(const std::string& plan_path) { return run_tandem({"run", model_, "--plan", plan_path}); }
  HostileResult run_plan_text(const std::string& text) { return run_plan(write_bytes("plan.json", text)); }

  // `tandem build` with an int8 stage and the cache `path`.
  HostileResult build_with_cache(const std::string& path) {
    return run_tandem({"build", model_, "--plan", write_bytes("int8.json", plan_json("[0]", "", "int8")),
                       "--calib-cache", path, "-o", this->path("e.tdm")});
  }
  // A cache whose scale for x is `hex` (c's is fine).
  HostileResult build_with_scale(const std::string& hex) {
    return build_with_cache(write_bytes("cal.cache", "TRT-8601-EntropyCalibration2\nx: " + hex + "\nc: 3c800000\n"));
  }

  std::string model_;
};

// ---- plans ----

TEST_F(HostileDeployment, ValidPlanRuns) { expect_accepted(run_plan_text(plan_json()), "[1,4,8,8]"); }

TEST_F(HostileDeployment, PlanNotJson) { expect_rejected(run_plan_text("{\"units\": [oops"), "JSON"); }

TEST_F(HostileDeployment, PlanCore2To32) { expect_rejected(run_plan_text(plan_json("[4294967296]")), "core"); }

TEST_F(HostileDeployment, PlanCoreNegative) { expect_rejected(run_plan_text(plan_json("[-1]")), "core"); }

TEST_F(HostileDeployment, PlanCoreTheMachineLacks) { expect_rejected(run_plan_text(plan_json("[9999]")), "core"); }

TEST_F(HostileDeployment, PlanCoreAsFloat) { expect_rejected(run_plan_text(plan_json("[0.5]")), "core"); }

TEST_F(HostileDeployment, PlanInFlight1e10) {
  expect_rejected(run_plan_text(plan_json("[0]", R"(, "in_flight": 1e10)")), "in_flight");
}

TEST_F(HostileDeployment, PlanInFlight2To32) {
  expect_rejected(run_plan_text(plan_json("[0]", R"(, "in_flight": 4294967297)")), "in_flight");
}

TEST_F(HostileDeployment, PlanVersion1Point5) {
  expect_rejected(run_plan_text(plan_json("[0]", R"(, "version": 1.5)")), "version");
}

TEST_F(HostileDeployment, PlanNested100000Deep) {
  expect_rejected(run_plan_text(R"({"units": )" + std::string(100000, '[') + std::string(100000, ']') + "}"), "plan.json");
}

TEST_F(HostileDeployment, PlanDevZero) { expect_rejected(run_plan("/dev/zero"), "regular file"); }

TEST_F(HostileDeployment, PlanFifo) { expect_rejected(run_plan(make_fifo("plan.json")), "regular file"); }

TEST_F(HostileDeployment, Plan100Megabytes) {
  expect_rejected(run_plan_text(plan_json() + std::string(100 << 20, ' ')), "plan.json");
}

// ---- calibration caches ----

TEST_F(HostileDeployment, ValidCacheBuilds) { expect_accepted(build_with_scale("3c000000")); }

TEST_F(HostileDeployment, CacheScaleZero) { expect_rejected(build_with_scale("00000000"), "scale"); }

TEST_F(HostileDeployment, CacheScaleDenormal) { expect_rejected(build_with_scale("00000001"), "scale"); }

TEST_F(HostileDeployment, CacheScaleFltMax) { expect_rejected(build_with_scale("7f7fffff"), "scale"); }

TEST_F(HostileDeployment, CacheScaleInfinity) { expect_rejected(build_with_scale("7f800000"), "scale"); }

TEST_F(HostileDeployment, CacheScaleNaN) { expect_rejected(build_with_scale("7fc00000"), "scale"); }

TEST_F(HostileDeployment, CacheScaleNegative) { expect_rejected(build_with_scale("bf800000"), "scale"); }

TEST_F(HostileDeployment, CacheNineHexDigits) { expect_rejected(build_with_scale("13c000000"), "hex"); }

TEST_F(HostileDeployment, CacheDevZero) { expect_rejected(build_with_cache("/dev/zero"), "regular file"); }

TEST_F(HostileDeployment, CacheFifo) { expect_rejected(build_with_cache(make_fifo("cal.cache")), "regular file"); }

}  // namespace
}  // namespace hostile
