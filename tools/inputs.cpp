// Input shapes from --shape, and input tensors from files or a generator.
#include <random>

#include "command.h"
#include "io/image.h"
#include "io/npy.h"
#include "onnx/tensor_proto.h"

namespace tandem::cli {
namespace {

Result<Shape> parse_dims(const std::string& text) {
  Shape dims;
  size_t start = 0;
  while (start <= text.size()) {
    size_t x = text.find('x', start);
    std::string part = text.substr(start, x == std::string::npos ? std::string::npos : x - start);
    char* end = nullptr;
    long long d = std::strtoll(part.c_str(), &end, 10);
    TANDEM_CHECK_OR_RETURN(!part.empty() && *end == '\0' && d > 0, kInvalidArgument,
                           "bad shape '%s' (expected e.g. 256x512)", text.c_str());
    dims.push_back(d);
    if (x == std::string::npos) break;
    start = x + 1;
  }
  return dims;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

Result<std::map<std::string, Shape>> resolve_shapes(const std::vector<TensorInfo>& inputs,
                                                    const std::vector<std::string>& specs) {
  std::map<std::string, Shape> shapes;
  for (const TensorInfo& p : inputs) shapes[p.name] = p.shape;
  for (const std::string& spec : specs) {
    size_t eq = spec.find('=');
    if (eq != std::string::npos) {
      std::string name = spec.substr(0, eq);
      TANDEM_CHECK_OR_RETURN(shapes.count(name), kInvalidArgument, "--shape: the model has no input '%s'", name.c_str());
      TANDEM_ASSIGN_OR_RETURN(shapes[name], parse_dims(spec.substr(eq + 1)));
      continue;
    }
    TANDEM_ASSIGN_OR_RETURN(Shape hw, parse_dims(spec));
    TANDEM_CHECK_OR_RETURN(hw.size() == 2, kInvalidArgument, "--shape '%s': expected HxW or name=AxBx...",
                           spec.c_str());
    bool any = false;
    for (const TensorInfo& p : inputs) {
      if (p.shape.size() != 4) continue;
      Shape& s = shapes[p.name];
      s[2] = hw[0];
      s[3] = hw[1];
      any = true;
    }
    TANDEM_CHECK_OR_RETURN(any, kInvalidArgument, "--shape %s: the model has no 4-D (NCHW) input", spec.c_str());
  }
  // An unspecified batch dimension defaults to 1, as trtexec does; other dynamic dims must be given.
  for (auto& [name, shape] : shapes)
    if (!shape.empty() && shape[0] < 0) shape[0] = 1;
  return shapes;
}

Result<Tensor> load_input(const std::string& path, const TensorInfo& port, const Shape& shape) {
  if (ends_with(path, ".npy")) return load_npy(path);
  if (ends_with(path, ".pb")) return load_tensor_pb(path);
  TANDEM_ASSIGN_OR_RETURN(ImageU8 image, load_image(path));
  TANDEM_CHECK_OR_RETURN(shape.size() == 4 && shape[1] == 3, kInvalidArgument,
                         "image '%s' given for input '%s', which is not [N,3,H,W]", path.c_str(), port.name.c_str());
  int64_t h = shape[2] > 0 ? shape[2] : image.height, w = shape[3] > 0 ? shape[3] : image.width;
  return preprocess_imagenet(image, h, w);
}

Result<Tensor> generated_input(const TensorInfo& port, const Shape& shape, uint64_t seed) {
  DType dtype = port.dtype == DType::kUndefined ? DType::kFloat32 : port.dtype;
  TANDEM_ASSIGN_OR_RETURN(Tensor t, Tensor::allocate(dtype, shape, "input '" + port.name + "'"));
  if (dtype == DType::kFloat32) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<float> dist(0.0f, 1.0f);
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  }
  return t;
}

}  // namespace tandem::cli
