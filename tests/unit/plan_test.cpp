// Plan JSON: a valid plan round-trips; each kind of mistake is one clear error naming the JSON path.
#include <gtest/gtest.h>

#include "plan/plan.h"

namespace tandem {
namespace {

const char* kValid = R"({
  "version": 1,
  "units": [{"name": "big", "kind": "cpu", "cores": [0]}, {"name": "little", "cores": [1]}],
  "fallback_unit": "big",
  "in_flight": 3,
  "stages": [
    {"name": "backbone", "unit": "big", "outputs": ["c1", "c2"], "precision": "bf16"},
    {"name": "head", "unit": "little", "outputs": ["seg"], "precision": "int8",
     "overrides": [{"match": "Softmax", "precision": "fp32"}]}
  ]
})";

TEST(Plan, ParsesAndRoundTrips) {
  auto p = parse_plan(kValid, "test", {0, 1});
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->units.size(), 2u);
  EXPECT_EQ(p->units[1].kind, "cpu");
  EXPECT_EQ(p->in_flight, 3);
  EXPECT_EQ(p->stages[0].precision, Precision::kBf16);
  ASSERT_EQ(p->stages[1].overrides.size(), 1u);
  EXPECT_EQ(p->stages[1].overrides[0].match, "Softmax");
  auto again = parse_plan(plan_to_json(*p), "round trip", {0, 1});
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(plan_to_json(*again), plan_to_json(*p));
}

TEST(Plan, DefaultsFallbackToTheFirstUnitAndTwoFramesInFlight) {
  auto p = parse_plan(R"({"units": [{"name": "u", "cores": [0]}], "stages": [{"name": "s", "unit": "u",
                        "outputs": ["y"]}]})", "test", {0});
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->fallback_unit, "u");
  EXPECT_EQ(p->in_flight, 2);
  EXPECT_EQ(p->stages[0].precision, Precision::kFp32);
}

void expect_error(const std::string& json, const std::string& fragment) {
  auto p = parse_plan(json, "plan 'p.json'", {0, 1});
  ASSERT_FALSE(p.is_ok()) << "accepted: " << json;
  EXPECT_EQ(p.status().message().rfind("plan 'p.json': ", 0), 0u) << p.status().message();
  EXPECT_NE(p.status().message().find(fragment), std::string::npos) << p.status().message();
}

TEST(Plan, RejectsMistakesWithTheirPath) {
  const std::string stage = R"("stages": [{"name": "s", "unit": "u", "outputs": ["y"]}])";
  const std::string unit = R"("units": [{"name": "u", "cores": [0]}])";
  expect_error("{not json", "not valid JSON");
  expect_error("{" + unit + ", " + stage + ", \"frames\": 2}", "unknown key 'frames'");
  expect_error(R"({"version": 2, )" + unit + ", " + stage + "}", "version");
  expect_error("{" + stage + "}", "units: a plan needs a non-empty array");
  expect_error("{" + unit + "}", "stages: a plan needs a non-empty array");
  expect_error(R"({"units": [{"name": "u", "cores": [5]}], )" + stage + "}", "units[0].cores: core 5 is not one this process may run on");
  expect_error(R"({"units": [{"name": "u", "cores": [4294967296]}], )" + stage + "}", "4294967296 is outside 0..1023");
  expect_error(R"({"units": [{"name": "u", "cores": [-1]}], )" + stage + "}", "-1 is outside 0..1023");
  expect_error(R"({"units": [{"name": "u", "cores": [0.5]}], )" + stage + "}", "must be an integer");
  expect_error(R"({"version": 4294967297, )" + unit + ", " + stage + "}", "version");
  expect_error("{" + unit + ", " + stage + R"(, "in_flight": 10000000000})", "in_flight: 10000000000 is outside 1..64");
  expect_error(R"({"units": [{"name": "u", "cores": [0, 0]}], )" + stage + "}", "core 0 is listed twice");
  expect_error(R"({"units": [{"name": "u", "cores": []}], )" + stage + "}", "non-empty array of core ids");
  expect_error(R"({"units": [{"name": "u", "kind": "tpu", "cores": [0]}], )" + stage + "}", "'tpu' is not a unit kind");
  expect_error(R"({"units": [{"name": "u", "cores": [0]}, {"name": "v", "cores": [0]}], )" + stage + "}",
               "core 0 belongs to unit 'u' already");
  expect_error(R"({"units": [{"name": "u", "cores": [0]}, {"name": "u", "cores": [1]}], )" + stage + "}",
               "unit 'u' is defined twice");
  expect_error("{" + unit + R"(, "stages": [{"name": "s", "unit": "w", "outputs": ["y"]}]})",
               "stages[0].unit: no unit is called 'w'");
  expect_error("{" + unit + R"(, "stages": [{"name": "s", "unit": "u", "outputs": []}]})", "stages[0].outputs");
  expect_error("{" + unit + R"(, "stages": [{"name": "s", "unit": "u", "outputs": ["y"], "precision": "fp8"}]})",
               "stages[0].precision: 'fp8' is not a precision");
  expect_error("{" + unit + R"(, "stages": [{"name": "s", "unit": "u", "outputs": ["y"]},
                                             {"name": "t", "unit": "u", "outputs": ["y"]}]})",
               "tensor 'y' is produced by two stages");
  expect_error("{" + unit + R"(, "stages": [{"name": "s", "unit": "u", "outputs": ["y"], "overrides": [{"match": "Conv"}]}]})",
               "stages[0].overrides[0]: missing 'precision'");
  expect_error("{" + unit + ", " + stage + R"(, "fallback_unit": "gpu"})", "fallback_unit: no unit is called 'gpu'");
  expect_error("{" + unit + ", " + stage + R"(, "in_flight": 0})", "in_flight: 0 is outside 1..64");
}

TEST(Plan, MissingFileIsNotFound) {
  auto p = load_plan("/nonexistent/plan.json", {0, 1});
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), Code::kNotFound);
  EXPECT_NE(p.status().message().find("/nonexistent/plan.json"), std::string::npos);
}

}  // namespace
}  // namespace tandem
