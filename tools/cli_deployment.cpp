#include "cli_deployment.h"

#include <algorithm>
#include <vector>

#include "quant/calibration_cache.h"

namespace tandem::cli {

Result<Plan> plan_from_flags(const ModelSession& session, const DeploymentFlags& flags, std::string* label) {
  const std::vector<int> cores = available_cores();
  Plan plan;
  if (flags.plan.empty()) {
    TANDEM_CHECK_OR_RETURN(flags.threads <= static_cast<int>(cores.size()), kInvalidArgument,
                           "--threads %d: this process may use %zu cores", flags.threads, cores.size());
    std::vector<std::string> outputs;
    for (const TensorInfo& p : session.outputs()) outputs.push_back(p.name);
    plan = single_unit_plan(outputs, std::vector<int>(cores.begin(), cores.begin() + flags.threads), 1);
    if (label) *label = "one unit, " + std::to_string(flags.threads) + " core(s)";
  } else {
    TANDEM_ASSIGN_OR_RETURN(plan, load_plan(flags.plan, available_cores()));
    // Checked here rather than when the unit pins its threads, so the message names the plan and the core.
    for (const UnitSpec& u : plan.units)
      for (int core : u.cores)
        TANDEM_CHECK_OR_RETURN(std::find(cores.begin(), cores.end(), core) != cores.end(), kInvalidArgument,
                               "plan '%s': unit '%s' uses core %d, which this process may not run on",
                               flags.plan.c_str(), u.name.c_str(), core);
    if (label) *label = flags.plan;
  }
  if (flags.in_flight > 0) plan.in_flight = flags.in_flight;
  return plan;
}

Result<std::unique_ptr<Deployment>> deployment_from_flags(const ModelSession& session,
                                                          const std::map<std::string, Shape>& shapes,
                                                          const DeploymentFlags& flags, std::string* label) {
  TANDEM_ASSIGN_OR_RETURN(Plan plan, plan_from_flags(session, flags, label));
  DeploymentOptions options;
  options.input_shapes = shapes;
  if (!flags.calib_cache.empty()) {
    TANDEM_ASSIGN_OR_RETURN(CalibrationCache cache, read_cache(flags.calib_cache));
    options.scales = cache.scales;
  }
  return Deployment::build(session.graph(), plan, options);
}

}  // namespace tandem::cli
