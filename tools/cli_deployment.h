// How run, bench and build turn their shared options (a plan or --threads, a calibration cache) into a
// Deployment, so the three commands accept the same flags and reject the same mistakes with the same words.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "core/status.h"
#include "runtime/deployment.h"
#include "runtime/model_session.h"

namespace tandem::cli {

struct DeploymentFlags {
  std::string plan;         // empty: the whole model on one unit of `threads` cores
  int threads = 1;          // cores of that single unit
  std::string calib_cache;  // scales for the plan's int8 stages (tandem calibrate, or TensorRT's cache)
  int in_flight = 0;        // frames in flight; 0 keeps the plan's
};

// The plan the flags ask for, checked against the cores this process may run on. `label` (optional) gets a
// short name for reports: the plan's path, or "one unit, N core(s)".
Result<Plan> plan_from_flags(const ModelSession& session, const DeploymentFlags& flags, std::string* label = nullptr);

// plan_from_flags, the calibration cache read, and Deployment::build at `shapes`.
Result<std::unique_ptr<Deployment>> deployment_from_flags(const ModelSession& session,
                                                          const std::map<std::string, Shape>& shapes,
                                                          const DeploymentFlags& flags, std::string* label = nullptr);

}  // namespace tandem::cli
