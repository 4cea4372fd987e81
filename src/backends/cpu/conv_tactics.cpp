// Convolution tactic selection, as TensorRT's builder does: every kernel that accepts the node is prepared and
// timed on scratch data, and the fastest is kept. oneDNN's blocked layouts win for most convolutions; for small
// ones the reorders in and out cost more than the blocked kernel saves (plain NCHW wins); for layers with a
// handful of output channels Tandem's direct kernel beats both.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "ops/fused_int8.h"
#include "ops/nn_conv.h"

namespace tandem {
namespace {

// Best of three after a warm-up run: the minimum is the least noisy estimate on a shared machine. A candidate
// whose warm-up run already takes several times `to_beat` is dropped there (oneDNN's reference and gemm
// fallbacks can be 10-100x slower; timing them in full would dominate the build).
double time_runs(Kernel& k, std::span<const Tensor> in, std::span<Tensor> out, double to_beat) {
  double best = 1e30;
  for (int i = 0; i < 4; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    if (!k.run(in, out).is_ok()) return 1e30;
    double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (i == 0 && t > 4 * to_beat) return t;
    if (i > 0) best = std::min(best, t);
  }
  return best;
}

// The candidates by tactic name, in the order they are tried.
const char* const kTactics[] = {"onednn_blocked", "onednn_plain", "direct"};

std::unique_ptr<Kernel> make_tactic(const std::string& name, const OpContext& ctx) {
  if (name == "onednn_blocked") return make_onednn_conv(/*blocked_io=*/true);
  if (name == "onednn_plain") return make_onednn_conv(/*blocked_io=*/false);
  // The direct kernel multiplies in fp32 only: not a candidate for int8 nodes or nodes a bf16 stage marked.
  if (name == "direct")
    return ctx.node->op_type == "FusedConvInt8" || (bf16_compute(*ctx.node) && onednn_native_bf16())
               ? nullptr
               : make_conv2d_f32_nchw_direct(ctx);
  return nullptr;
}

class TunedConv final : public Kernel {
 public:
  // `forced`: a tactic saved with an engine; only that candidate is built, and nothing is timed.
  explicit TunedConv(std::string forced) : forced_(std::move(forced)) {}

  Status prepare(const OpContext& ctx) override {
    if (!forced_.empty()) {
      chosen_ = make_tactic(forced_, ctx);
      TANDEM_CHECK_OR_RETURN(chosen_, kInvalidArgument, "tactic '%s' does not apply to this convolution",
                             forced_.c_str());
      tactic_ = forced_;
      return chosen_->prepare(ctx);
    }
    std::vector<std::unique_ptr<Kernel>> candidates;
    std::vector<std::string> names;
    Status first_error = Status::ok();
    auto offer = [&](std::unique_ptr<Kernel> k, const char* name) {
      if (!k) return;
      Status st = k->prepare(ctx);
      // oneDNN's reference convolution ("ref:any") is what it falls back to for layouts its JIT kernels do not
      // take (e.g. NCHW in, NHWC out; plain-layout int8: "ref_int8:any"); another candidate always beats it.
      if (st.is_ok() && k->impl_name().rfind("onednn:ref", 0) == 0 && !candidates.empty()) return;
      if (st.is_ok()) {
        candidates.push_back(std::move(k));
        names.push_back(name);
      } else if (first_error.is_ok()) {
        first_error = st;
      }
    };
    for (const char* name : kTactics) offer(make_tactic(name, ctx), name);
    if (candidates.empty()) return first_error;
    if (candidates.size() == 1) {
      chosen_ = std::move(candidates.front());
      tactic_ = names.front();
      return Status::ok();
    }
    std::vector<Tensor> in, out;
    for (const TensorInfo& i : ctx.inputs)
      in.push_back(!i.present ? Tensor() : i.constant ? *i.constant : Tensor::make(i.dtype, i.shape));
    for (const TensorInfo& o : ctx.outputs) out.push_back(Tensor::make(o.dtype, o.shape));
    double best = 1e30;
    static const bool log = std::getenv("TANDEM_LOG_TACTICS") != nullptr;  // like trtexec --verbose
    for (size_t i = 0; i < candidates.size(); ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      double t = time_runs(*candidates[i], in, out, best);
      if (log)
        std::fprintf(stderr, "tactic %s %s: %s %.3f ms (timing took %.0f ms)\n", ctx.node->name.c_str(),
                     names[i].c_str(), candidates[i]->impl_name().c_str(), t * 1e3,
                     std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      if (t < best) {
        best = t;
        chosen_ = std::move(candidates[i]);
        tactic_ = names[i];
      }
    }
    return Status::ok();
  }
  Status run(std::span<const Tensor> in, std::span<Tensor> out) override { return chosen_->run(in, out); }
  std::string impl_name() const override { return chosen_->impl_name(); }
  std::string tactic() const override { return tactic_; }

 private:
  std::string forced_, tactic_;
  std::unique_ptr<Kernel> chosen_;
};

}  // namespace

std::unique_ptr<Kernel> make_cpu_conv(const OpContext& node_ctx, const std::string& tactic) {
  const Node& n = *node_ctx.node;
  bool conv = n.domain.empty() && n.op_type == "Conv";
  bool fused = n.domain == kTandemDomain && n.op_type == "FusedConv";
  bool int8 = n.domain == kTandemDomain && n.op_type == "FusedConvInt8";
  if (!conv && !fused && !int8) return nullptr;
  if (int8 && !(node_ctx.in(kInt8XScale).constant && node_ctx.in(kInt8W).constant && node_ctx.in(kInt8WScale).constant))
    return nullptr;
  // An int8 node's geometry and operands, as the float op sees them.
  const OpContext ctx = int8 ? int8_as_float_context(node_ctx, node_ctx.in(kInt8W).constant) : node_ctx;
  if (ctx.in(0).dtype != DType::kFloat32 || ctx.in(0).shape.size() != 4) return nullptr;
  if (!conv_geometry(ctx).is_ok()) return nullptr;
  if (!ctx.in(1).constant || (ctx.has_input(2) && !ctx.in(2).constant)) return nullptr;
  if (fused || int8) {
    auto act = Activation::parse(n.attrs.get_string("activation", ""), n.attrs.get_floats("activation_params"));
    dnnl::post_ops probe;
    if (!act.is_ok() || !append_activation(*act, probe)) return nullptr;
  }
  return std::make_unique<TunedConv>(tactic);
}

}  // namespace tandem
