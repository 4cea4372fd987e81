// tandem::Session (tandem/session.h): the public face of the runtime's ModelSession, with tensors by name and the
// caller's buffers bound in place.
#include "tandem/session.h"

#include <cstdint>
#include <mutex>
#include <set>

#include "backends/cpu/cpu_engine.h"
#include "core/status.h"
#include "runtime/model_session.h"

namespace tandem {

struct Session::Impl {
  std::unique_ptr<ModelSession> model;
  std::mutex run_mutex;  // one frame at a time: an engine's arena holds one frame
};

namespace {

constexpr int kMaxThreads = 4096;

Status check_options(const SessionOptions& options) {
  TANDEM_CHECK_OR_RETURN(options.threads >= 1 && options.threads <= kMaxThreads, kInvalidArgument,
                         "threads must be in [1, %d], got %d", kMaxThreads, options.threads);
  return Status::ok();
}

ModelSessionOptions model_options(const SessionOptions& options) {
  ModelSessionOptions o;
  o.threads = options.threads;
  o.optimize = options.optimize;
  return o;
}

std::string names(const std::vector<TensorInfo>& ports) {
  std::string out;
  for (const TensorInfo& p : ports) out += (out.empty() ? "'" : ", '") + p.name + "'";
  return out.empty() ? "none" : out;
}

// `given` must name exactly the ports in `ports` (what = "input"/"output"); returns them in port order.
template <typename Map>
Result<std::vector<Tensor>> in_port_order(const std::vector<TensorInfo>& ports, Map& given, const char* what) {
  std::set<std::string> known;
  std::vector<Tensor> out;
  for (const TensorInfo& p : ports) {
    known.insert(p.name);
    auto it = given.find(p.name);
    TANDEM_CHECK_OR_RETURN(it != given.end(), kInvalidArgument, "%s '%s' is missing (the model's %ss: %s)", what,
                           p.name.c_str(), what, names(ports).c_str());
    TANDEM_CHECK_OR_RETURN(it->second.defined(), kInvalidArgument, "%s '%s' is an empty tensor", what,
                           p.name.c_str());
    out.push_back(it->second);
  }
  for (const auto& [name, tensor] : given)
    TANDEM_CHECK_OR_RETURN(known.count(name), kInvalidArgument, "the model has no %s '%s' (its %ss: %s)", what,
                           name.c_str(), what, names(ports).c_str());
  return out;
}

// Aligned to the element size, as any C++ array of the type is. Tandem's kernels and oneDNN read and write tensors
// with unaligned vector loads and stores, so nothing more is needed for them to work in place.
bool aligned(const std::vector<Tensor>& tensors) {
  for (const Tensor& t : tensors)
    if (reinterpret_cast<uintptr_t>(t.raw()) % dtype_size(t.dtype()) != 0) return false;
  return true;
}

// Binds the caller's buffers when every one is aligned (zero copy); otherwise copies through the engine's own.
Status execute(CpuEngine& engine, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  if (aligned(inputs) && aligned(outputs)) return engine.run_bound(inputs, outputs);
  return engine.run(inputs, outputs);
}

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

Result<Session> Session::open(const std::string& model_path, const SessionOptions& options) {
  TANDEM_RETURN_IF_ERROR(check_options(options));
  auto impl = std::make_unique<Impl>();
  TANDEM_ASSIGN_OR_RETURN(impl->model, ModelSession::load(model_path, model_options(options)));
  return Session(std::move(impl));
}

Result<Session> Session::open_bytes(const std::string& model_bytes, const SessionOptions& options) {
  TANDEM_RETURN_IF_ERROR(check_options(options));
  auto impl = std::make_unique<Impl>();
  TANDEM_ASSIGN_OR_RETURN(impl->model, ModelSession::load_bytes(model_bytes, "model in memory", model_options(options)));
  return Session(std::move(impl));
}

const std::vector<TensorInfo>& Session::inputs() const { return impl_->model->inputs(); }
const std::vector<TensorInfo>& Session::outputs() const { return impl_->model->outputs(); }

Result<std::vector<TensorInfo>> Session::prepare(const std::map<std::string, Shape>& input_shapes) {
  for (const auto& [name, shape] : input_shapes) {
    bool known = false;
    for (const TensorInfo& p : inputs()) known |= p.name == name;
    TANDEM_CHECK_OR_RETURN(known, kInvalidArgument, "the model has no input '%s' (its inputs: %s)", name.c_str(),
                           names(inputs()).c_str());
  }
  std::lock_guard<std::mutex> lock(impl_->run_mutex);
  TANDEM_ASSIGN_OR_RETURN(CpuEngine * engine, impl_->model->engine_for(input_shapes));
  std::vector<TensorInfo> out;
  for (const TensorDesc& d : engine->outputs()) out.push_back({d.name, d.dtype, d.shape, {}});
  return out;
}

namespace {
// The engine for these inputs (model input order), after checking their dtypes; called under the run mutex.
Result<CpuEngine*> engine_for_inputs(ModelSession& model, const std::vector<TensorInfo>& ports,
                                     const std::vector<Tensor>& ins) {
  std::map<std::string, Shape> shapes;
  for (size_t i = 0; i < ins.size(); ++i) {
    const TensorInfo& p = ports[i];
    TANDEM_CHECK_OR_RETURN(p.dtype == DType::kUndefined || ins[i].dtype() == p.dtype, kInvalidArgument,
                           "input '%s' expects %s, got %s", p.name.c_str(), dtype_name(p.dtype),
                           dtype_name(ins[i].dtype()));
    shapes[p.name] = ins[i].shape();
  }
  return model.engine_for(shapes);
}
}  // namespace

Result<std::map<std::string, Tensor>> Session::run(const std::map<std::string, Tensor>& inputs) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> ins, in_port_order(this->inputs(), inputs, "input"));
  std::lock_guard<std::mutex> lock(impl_->run_mutex);
  TANDEM_ASSIGN_OR_RETURN(CpuEngine * engine, engine_for_inputs(*impl_->model, this->inputs(), ins));
  std::vector<Tensor> outs;
  for (const TensorDesc& d : engine->outputs()) {
    TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(d.dtype, d.shape, "output '" + d.name + "'"));
    outs.push_back(std::move(t));
  }
  TANDEM_RETURN_IF_ERROR(execute(*engine, ins, outs));
  std::map<std::string, Tensor> named;
  for (size_t i = 0; i < outs.size(); ++i) named[this->outputs()[i].name] = std::move(outs[i]);
  return named;
}

Status Session::run(const std::map<std::string, Tensor>& inputs, std::map<std::string, Tensor>& outputs) {
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> ins, in_port_order(this->inputs(), inputs, "input"));
  TANDEM_ASSIGN_OR_RETURN(std::vector<Tensor> outs, in_port_order(this->outputs(), outputs, "output"));
  std::lock_guard<std::mutex> lock(impl_->run_mutex);
  TANDEM_ASSIGN_OR_RETURN(CpuEngine * engine, engine_for_inputs(*impl_->model, this->inputs(), ins));
  for (size_t i = 0; i < outs.size(); ++i) {
    const TensorDesc& d = engine->outputs()[i];
    TANDEM_CHECK_OR_RETURN(outs[i].dtype() == d.dtype && outs[i].shape() == d.shape, kInvalidArgument,
                           "output '%s' is %s %s, given %s %s", d.name.c_str(), dtype_name(d.dtype),
                           shape_to_string(d.shape).c_str(), dtype_name(outs[i].dtype()),
                           shape_to_string(outs[i].shape()).c_str());
  }
  return execute(*engine, ins, outs);
}

}  // namespace tandem
