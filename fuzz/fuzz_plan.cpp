// Deployment plan JSON: parse and validate (cores 0 and 1 available), and a parsed plan must survive
// plan_to_json: it parses again, to the same JSON.
#include <string>

#include "fuzz_util.h"
#include "plan/plan.h"

TANDEM_FUZZ_INIT(plan) {
  tandem_fuzz::init_process();
  return 0;
}

TANDEM_FUZZ_ENTRY(plan) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto plan = tandem::parse_plan(text, "fuzz", {0, 1});
  if (!plan.is_ok()) return 0;
  const std::string json = tandem::plan_to_json(*plan);
  auto again = tandem::parse_plan(json, "fuzz round trip", {0, 1});
  if (!again.is_ok()) tandem_fuzz::fail(("plan_to_json wrote a plan that does not parse: " + again.status().to_string()).c_str());
  if (tandem::plan_to_json(*again) != json) tandem_fuzz::fail("plan_to_json(parse_plan(plan_to_json(p))) != plan_to_json(p)");
  return 0;
}
