// Error localisation: every intermediate tensor of a deployment (e.g. heads in int8) against the same tensor of
// a reference deployment (the FP32 model), as cosine similarity and relative L2 error accumulated over frames.
// It answers the webinar's "find out where the gap starts": the first tensor whose error leaves float noise,
// and the layers that add the most error.
//
// Tensors are matched by name. Both deployments come out of the same passes, so a fused node keeps the name
// of the value it produces in both; tensors only one side has (the int8 side's quantized copies, values a
// fusion removed on one side only) or whose shapes differ are left out.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"
#include "runtime/deployment.h"

namespace tandem {

struct TensorError {
  std::string tensor;          // name (see TensorTap::Produced::key)
  std::string node, op_type;  // the subject's producer
  std::string stage;          // the subject's stage that computes it
  std::vector<std::string> inputs;  // the producer's inputs that are also in the report (for growth)
  int64_t elements = 0;
  double cosine = 1;   // sum(a.b) / sqrt(sum(a.a) sum(b.b)) over all frames
  double rel_l2 = 0;   // sqrt(sum (a-b)^2 / sum b^2), b = reference
  double max_abs = 0;  // max |a - b| seen
  double growth = 0;   // rel_l2 minus the largest rel_l2 among `inputs` (what this layer adds)
};

// Runs a deployment stage by stage with every float intermediate value kept (its stages' engines rebuilt from
// their compiled graphs and tactics with those values as extra outputs).
class TensorTap {
 public:
  static Result<std::unique_ptr<TensorTap>> create(const Deployment& deployment);
  // One frame: model inputs in model order -> every float value computed, by Produced::key.
  Result<std::vector<std::pair<std::string, Tensor>>> run(std::span<const Tensor> inputs);

  struct Produced {
    // `key` is unique: the tensor name, or "name@stage" where a later stage makes a value of the same name (an
    // int8 stage dequantizing a boundary tensor it received).
    std::string key, tensor, node, op_type, stage;
    std::vector<std::string> inputs;  // keys
  };
  // Every tapped tensor with its producer, in execution order.
  const std::vector<Produced>& produced() const { return produced_; }

 private:
  struct Stage {
    std::string name;
    std::unique_ptr<Engine> engine;
    std::map<std::string, std::string> key_of;  // value name -> Produced::key
  };
  std::vector<std::string> model_inputs_;
  std::vector<Stage> stages_;
  std::vector<Produced> produced_;
};

class LayerReport {
 public:
  static Result<std::unique_ptr<LayerReport>> create(const Deployment& subject, const Deployment& reference);
  Status add_frame(std::span<const Tensor> inputs);
  int frames() const { return frames_; }
  // In the subject's execution order; tensors whose shapes differ between the two are left out.
  std::vector<TensorError> result() const;

 private:
  struct Sums {
    double dot = 0, aa = 0, bb = 0, dd = 0, max_abs = 0;
  };
  std::unique_ptr<TensorTap> subject_, reference_;
  std::vector<TensorTap::Produced> order_;  // subject tensors the reference also has
  std::vector<Sums> sums_;
  std::vector<int64_t> elements_;  // 0: never compared (shapes differ)
  int frames_ = 0;
};

// The first tensor (in execution order) whose rel_l2 exceeds `threshold`, or -1.
int first_divergence(const std::vector<TensorError>& report, double threshold);

}  // namespace tandem
