// float32 MaxPool, AveragePool and GlobalAveragePool through oneDNN's pooling, channels-first or (Tandem's `layout`
// attribute) channels-last: its JIT kernels vectorise over channels, where the reference kernel walks every window
// of every output element one tap at a time (the reference stays for Indices, storage_order, other types and the
// window shapes below oneDNN cannot express).
#include <algorithm>
#include <string>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/onednn_common.h"
#include "ops/nn_window.h"

namespace tandem {
namespace {

using dnnl::memory;

// oneDNN's pooling descriptor for one node: the geometry in oneDNN's conventions.
struct PoolDesc {
  dnnl::algorithm alg = dnnl::algorithm::undef;
  memory::dims strides, kernel, dilation, pad_l, pad_r;
};

// ONNX window -> oneDNN pooling, or false when the two would disagree. oneDNN derives the output size with
// floor division, so a ceil_mode output is expressed by widening the right pad until the floor gives it; the
// widened pad is outside every window ONNX counts, which max ignores and exclude-padding averages do not count,
// but an include-padding average would (reference then). A window lying wholly in padding has no defined result
// in oneDNN; ONNX's is -inf (max) or 0 (average), so such geometries stay on the reference too.
bool describe(const WindowGeometry& w, bool average, bool count_include_pad, PoolDesc& d) {
  const size_t rank = w.rank();
  if (rank < 1 || rank > 3) return false;
  d.alg = !average            ? dnnl::algorithm::pooling_max
          : count_include_pad ? dnnl::algorithm::pooling_avg_include_padding
                              : dnnl::algorithm::pooling_avg_exclude_padding;
  for (size_t i = 0; i < rank; ++i) {
    const int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    // Right pad that makes oneDNN's floor((in + l + r - extent) / s) + 1 equal ONNX's output size.
    // Any pad that reaches the last window's end gives the same windows; the smallest non-negative one is used.
    const int64_t pad_r = std::max<int64_t>(0, (w.out[i] - 1) * w.strides[i] + extent - w.in[i] - w.pad_begin[i]);
    if ((w.in[i] + w.pad_begin[i] + pad_r - extent) / w.strides[i] + 1 != w.out[i]) return false;
    if (pad_r > w.pad_end[i] && average && count_include_pad) return false;
    // Every window must hold at least one input element: its first tap at o*s - l, its last at + extent - 1.
    if (w.pad_begin[i] >= extent || pad_r >= extent) return false;
    if (w.dilations[i] != 1 && (w.pad_begin[i] > 0 || pad_r > 0)) return false;
    d.strides.push_back(w.strides[i]);
    d.kernel.push_back(w.kernel[i]);
    d.dilation.push_back(w.dilations[i] - 1);  // oneDNN counts dilation from 0
    d.pad_l.push_back(w.pad_begin[i]);
    d.pad_r.push_back(pad_r);
  }
  return true;
}

class OnednnPool final : public OnednnUnary {
 public:
  OnednnPool(PoolDesc desc, bool channels_last) : desc_(std::move(desc)), channels_last_(channels_last) {}

 protected:
  // oneDNN names dims channels-first whatever the memory order; nhwc is the order its pooling is fastest on.
  memory::desc tensor_desc(const Shape& shape) const override {
    if (!channels_last_) return plain_f32_desc(shape);
    return memory::desc({shape[0], shape[3], shape[1], shape[2]}, memory::data_type::f32, memory::format_tag::nhwc);
  }

  Status create(const memory::desc& src, const memory::desc& dst, const dnnl::primitive_attr& attr,
                memory::desc& scratch) override {
    dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, desc_.alg, src, dst, desc_.strides,
                                     desc_.kernel, desc_.dilation, desc_.pad_l, desc_.pad_r);
    dnnl::pooling_v2_forward::primitive_desc pd(d, attr, onednn_engine());
    // oneDNN's own reference implementation is no faster than Tandem's; leave the node to that one.
    if (std::string(pd.impl_info_str()).rfind("ref", 0) == 0)
      return Status(Code::kUnsupported, "oneDNN has only ref pooling");
    call_.init(dnnl::pooling_v2_forward(pd), pd.impl_info_str());
    scratch = pd.scratchpad_desc();
    return Status::ok();
  }

 private:
  PoolDesc desc_;
  bool channels_last_;
};

}  // namespace

std::unique_ptr<Kernel> make_onednn_pool(const OpContext& ctx) {
  const Node& n = *ctx.node;
  if (!n.domain.empty() || !ctx.has_input(0) || ctx.in(0).dtype != DType::kFloat32) return nullptr;
  const Shape& x = ctx.in(0).shape;
  if (x.size() < 3 || x.size() > 5 || shape_numel(x) == 0) return nullptr;
  // Inference has validated `layout`; anything else it would have rejected is left to the reference's error.
  const std::string layout = n.attrs.get_string("layout", "NCHW");
  const bool channels_last = layout == "NHWC";
  if (layout != "NCHW" && !(channels_last && x.size() == 4)) return nullptr;
  const std::vector<int64_t> spatial =
      channels_last ? std::vector<int64_t>{x[1], x[2]} : std::vector<int64_t>(x.begin() + 2, x.end());
  PoolDesc desc;
  if (n.op_type == "GlobalAveragePool") {
    // One window over the whole plane.
    WindowGeometry w;
    w.in = w.kernel = spatial;
    w.strides = w.dilations = std::vector<int64_t>(spatial.size(), 1);
    w.pad_begin = w.pad_end = std::vector<int64_t>(spatial.size(), 0);
    w.out = std::vector<int64_t>(spatial.size(), 1);
    if (!describe(w, true, false, desc)) return nullptr;
    return std::make_unique<OnednnPool>(std::move(desc), channels_last);
  }
  const bool average = n.op_type == "AveragePool";
  if (!average && n.op_type != "MaxPool") return nullptr;
  // MaxPool's Indices output (and storage_order, which only changes it) is the reference kernel's job.
  if (!average && ctx.has_output(1)) return nullptr;
  const Attributes& a = n.attrs;
  if (!a.has("kernel_shape")) return nullptr;
  WindowOptions options;
  options.ceil_mode = a.get_int("ceil_mode", 0) != 0;
  auto w = window_geometry(a, spatial, a.get_ints("kernel_shape"), options);
  if (!w.is_ok() || w->out_size() == 0) return nullptr;
  if (!describe(*w, average, a.get_int("count_include_pad", 0) != 0, desc)) return nullptr;
  return std::make_unique<OnednnPool>(std::move(desc), channels_last);
}

}  // namespace tandem
