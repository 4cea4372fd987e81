// Running one model: open it, then run it on named tensors. The model is imported and checked when it is opened;
// the engine for a set of input shapes (shapes folded, passes run, kernels chosen and timed) is built at the first
// run with those shapes, or by prepare(), and reused after.
//
//   tandem::Result<tandem::Session> s = tandem::Session::open("model.onnx", {.threads = 2});
//   if (!s.is_ok()) { std::cerr << s.status().message() << "\n"; return 1; }
//   tandem::Tensor image = tandem::Tensor::view(tandem::DType::kFloat32, {1, 3, 256, 512}, pixels);
//   auto outputs = s->run({{"image", image}});  // Result<std::map<std::string, Tensor>>
//
// Threads: a session runs its kernels on exactly `threads` OpenMP threads. One session runs one frame at a time
// (concurrent calls wait for each other); use one session per thread to run frames concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tandem/status.h"
#include "tandem/tensor.h"

namespace tandem {

struct SessionOptions {
  int threads = 1;        // OpenMP threads per run, and for the build's tactic timing; at least 1
  bool optimize = true;   // run the fusion passes (off: the model's operators one by one, for debugging)
};

class Session {
 public:
  // Imports the model at `model_path`; external data files are read from its folder. An error names the file and
  // what is wrong with it (malformed, unsupported operators, ...).
  static Result<Session> open(const std::string& model_path, const SessionOptions& options = {});
  // The same from a serialised ModelProto held in memory (a model with external data needs open()).
  static Result<Session> open_bytes(const std::string& model_bytes, const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  // As the model declares them.
  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;

  // Builds the engine for these input shapes now rather than at the first run with them. Inputs not named keep
  // their declared shape. Returns the outputs' concrete shapes.
  Result<std::vector<TensorInfo>> prepare(const std::map<std::string, Shape>& input_shapes);

  // Runs on `inputs` (every model input by name, in the dtype it declares; their shapes select the engine) and
  // returns the outputs by name, in storage of their own. Inputs are read in place, as below.
  Result<std::map<std::string, Tensor>> run(const std::map<std::string, Tensor>& inputs);
  // The same, writing into the caller's tensors (e.g. Tensor::view over buffers the caller owns): `outputs` must
  // name every model output with its dtype and concrete shape. Inputs and outputs are read and written in place
  // (no copy) when every buffer is aligned to its element size, as arrays of the type are; otherwise they are
  // copied through the engine's own buffers.
  Status run(const std::map<std::string, Tensor>& inputs, std::map<std::string, Tensor>& outputs);

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem
