#include "onnx/qdq_export.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "core/regular_file.h"
#include "onnx/tensor_proto.h"

namespace tandem {
namespace {

std::string describe(const onnx::NodeProto& n) { return "node '" + n.name() + "' (" + n.op_type() + ")"; }

int64_t attr_int(const onnx::NodeProto& n, const std::string& name, int64_t fallback) {
  for (const auto& a : n.attribute())
    if (a.name() == name) return a.i();
  return fallback;
}

void add_scalar_float(onnx::GraphProto& g, const std::string& name, float v) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  t->add_float_data(v);
}

void add_zero_int8(onnx::GraphProto& g, const std::string& name, int64_t count, bool scalar) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT8);
  if (!scalar) t->add_dims(count);
  t->set_raw_data(std::string(static_cast<size_t>(count), '\0'));
}

onnx::NodeProto make_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                          const std::string& output, int64_t axis = -1) {
  onnx::NodeProto n;
  n.set_op_type(op);
  n.set_name(name);
  for (const std::string& i : inputs) n.add_input(i);
  n.add_output(output);
  if (axis >= 0) {
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name("axis");
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(axis);
  }
  return n;
}

// A name no tensor of the graph has yet.
class Names {
 public:
  explicit Names(const onnx::GraphProto& g) {
    for (const auto& n : g.node())
      for (const auto& o : n.output()) used_.insert(o);
    for (const auto& t : g.initializer()) used_.insert(t.name());
    for (const auto& i : g.input()) used_.insert(i.name());
  }
  std::string fresh(const std::string& base) {
    std::string name = base;
    for (int k = 1; used_.count(name); ++k) name = base + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }

 private:
  std::set<std::string> used_;
};

}  // namespace

Result<QdqExportReport> export_qdq(const std::string& model_path, const std::map<std::string, float>& scales,
                                   const std::string& out_path, const QdqExportOptions& options) {
  TANDEM_ASSIGN_OR_RETURN(std::string bytes, read_regular_file(model_path, kMaxProtobufFileBytes, "model"));
  onnx::ModelProto model;
  TANDEM_CHECK_OR_RETURN(model.ParseFromString(bytes) && model.has_graph(), kInvalidModel,
                         "'%s' is not a valid ONNX model", model_path.c_str());
  int64_t opset = 0;
  for (const auto& op : model.opset_import())
    if (op.domain().empty() || op.domain() == "ai.onnx") opset = op.version();
  TANDEM_CHECK_OR_RETURN(opset >= 13, kUnsupported,
                         "'%s' has opset %lld; a Q/DQ export needs opset >= 13 (per-channel DequantizeLinear)",
                         model_path.c_str(), static_cast<long long>(opset));
  const std::string base_dir =
      model_path.find('/') == std::string::npos ? "." : model_path.substr(0, model_path.rfind('/'));
  onnx::GraphProto& g = *model.mutable_graph();
  std::map<std::string, int> initializer;
  for (int i = 0; i < g.initializer_size(); ++i) initializer[g.initializer(i).name()] = i;
  Names names(g);
  QdqExportReport report;

  std::map<std::string, std::string> dequantized;  // tensor -> its DequantizeLinear output
  std::vector<onnx::NodeProto> weight_nodes, out_nodes;
  std::vector<onnx::TensorProto> new_initializers;
  for (const onnx::NodeProto& original : g.node()) {
    onnx::NodeProto node = original;
    const bool eligible = options.ops.count(node.op_type()) && node.input_size() >= 2 && node.domain().empty();
    auto w_it = eligible ? initializer.find(node.input(1)) : initializer.end();
    if (!eligible || w_it == initializer.end() ||
        g.initializer(w_it->second).data_type() != onnx::TensorProto::FLOAT) {
      out_nodes.push_back(std::move(node));
      continue;
    }
    const onnx::TensorProto& wp = g.initializer(w_it->second);
    const bool conv = node.op_type() == "Conv";
    if ((conv && wp.dims_size() < 3) || (!conv && wp.dims_size() != 2)) {
      out_nodes.push_back(std::move(node));
      continue;
    }
    const std::string x = node.input(0);
    auto scale = scales.find(x);
    if (scale == scales.end()) {
      report.skipped.push_back(describe(node) + ": no calibrated scale for its input '" + x + "'");
      out_nodes.push_back(std::move(node));
      continue;
    }
    // Weights: per output channel, which is axis 0 of a Conv's OIHW and of a Gemm's transposed B, axis 1 of
    // a MatMul's [K, N] (and of a plain Gemm's B).
    const int64_t axis = conv || (node.op_type() == "Gemm" && attr_int(node, "transB", 0)) ? 0 : 1;
    const std::string w = node.input(1);
    if (!dequantized.count(w)) {
      Result<Tensor> wt = tensor_from_proto(wp, base_dir, "initializer '" + w + "'");
      if (!wt.is_ok()) return wt.status();
      const Tensor& t = *wt;
      const int64_t channels = t.dim(axis), total = t.numel();
      const int64_t inner = axis == 0 ? total / channels : 1;
      auto channel_of = [&](int64_t i) { return axis == 0 ? i / inner : i % channels; };
      std::vector<float> amax(static_cast<size_t>(channels), 0.0f);
      for (int64_t i = 0; i < total; ++i)
        amax[static_cast<size_t>(channel_of(i))] =
            std::max(amax[static_cast<size_t>(channel_of(i))], std::fabs(t.data<float>()[i]));
      onnx::TensorProto q, s;
      q.set_name(names.fresh(w + "_quantized"));
      q.set_data_type(onnx::TensorProto::INT8);
      for (int64_t d : t.shape()) q.add_dims(d);
      s.set_name(names.fresh(w + "_scale"));
      s.set_data_type(onnx::TensorProto::FLOAT);
      s.add_dims(channels);
      for (float a : amax) s.add_float_data(a > 0 ? a / 127.0f : 1e-12f);
      std::string raw(static_cast<size_t>(total), '\0');
      for (int64_t i = 0; i < total; ++i) {
        const float v = std::nearbyint(t.data<float>()[i] / s.float_data(static_cast<int>(channel_of(i))));
        raw[static_cast<size_t>(i)] = static_cast<char>(static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f)));
      }
      q.set_raw_data(raw);
      const std::string zp = names.fresh(w + "_zero_point");
      add_zero_int8(g, zp, channels, /*scalar=*/false);
      new_initializers.push_back(q);
      new_initializers.push_back(s);
      const std::string out = names.fresh(w + "_dequantized");
      weight_nodes.push_back(make_node("DequantizeLinear", out, {q.name(), s.name(), zp}, out, axis));
      dequantized[w] = out;
    }
    if (!dequantized.count(x)) {
      const std::string s = names.fresh(x + "_scale"), zp = names.fresh(x + "_zero_point");
      add_scalar_float(g, s, scale->second);
      add_zero_int8(g, zp, 1, /*scalar=*/true);
      const std::string q = names.fresh(x + "_quantized"), dq = names.fresh(x + "_dequantized");
      out_nodes.push_back(make_node("QuantizeLinear", q, {x, s, zp}, q));
      out_nodes.push_back(make_node("DequantizeLinear", dq, {q, s, zp}, dq));
      dequantized[x] = dq;
      ++report.activation_pairs;
    }
    node.set_input(0, dequantized[x]);
    node.set_input(1, dequantized[w]);
    out_nodes.push_back(std::move(node));
    ++report.quantized_nodes;
  }
  TANDEM_CHECK_OR_RETURN(report.quantized_nodes > 0, kInvalidArgument,
                         "'%s': no %s node with constant weights has a calibrated input scale (is the cache for "
                         "this model?)",
                         model_path.c_str(), "Conv/MatMul/Gemm");

  // Weight dequantizes first (they read initializers only), then the nodes in their original order.
  g.clear_node();
  for (auto& n : weight_nodes) *g.add_node() = std::move(n);
  for (auto& n : out_nodes) *g.add_node() = std::move(n);
  for (auto& t : new_initializers) *g.add_initializer() = std::move(t);
  // Float weights no node reads any more are dropped (the int8 copies replace them), with their graph-input
  // entries (older exports list initializers as inputs).
  std::set<std::string> read, dropped;
  for (const auto& n : g.node())
    for (const auto& i : n.input()) read.insert(i);
  for (const auto& o : g.output()) read.insert(o.name());
  auto* inits = g.mutable_initializer();
  inits->erase(std::remove_if(inits->begin(), inits->end(),
                              [&](const onnx::TensorProto& t) {
                                if (read.count(t.name())) return false;
                                dropped.insert(t.name());
                                return true;
                              }),
               inits->end());
  auto* inputs = g.mutable_input();
  inputs->erase(std::remove_if(inputs->begin(), inputs->end(),
                               [&](const onnx::ValueInfoProto& v) { return dropped.count(v.name()) > 0; }),
                inputs->end());

  std::string out;
  TANDEM_CHECK_OR_RETURN(model.SerializeToString(&out), kInternal, "cannot serialise the Q/DQ model");
  std::ofstream f(out_path, std::ios::binary);
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", out_path.c_str());
  f.write(out.data(), static_cast<std::streamsize>(out.size()));
  TANDEM_CHECK_OR_RETURN(f.good(), kIoError, "cannot write '%s'", out_path.c_str());
  return report;
}

}  // namespace tandem
