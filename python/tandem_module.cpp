// The `tandem` Python module's native part (tandem._tandem): the public C++ API (tandem/ headers only) for NumPy.
// Inputs that are C-contiguous and of the model's dtype are read in place (no copy); outputs are NumPy arrays over
// the tensors Tandem allocated (no copy either: the array keeps the tensor's storage alive). The GIL is released
// while a session builds or runs, so other Python threads (and other sessions) go on meanwhile.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/session.h"
#include "tandem/version.h"

namespace py = pybind11;

namespace {

// Raised as tandem.Error with the one-line message the CLI prints after "tandem: error: ".
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(const tandem::Status& st) {
  if (!st.is_ok()) throw Error(st.message());
}
template <typename T>
T take(tandem::Result<T>&& r) {
  check(r.status());
  return std::move(r).value();
}

py::dtype to_numpy(tandem::DType t) {
  switch (t) {
    case tandem::DType::kFloat32: return py::dtype::of<float>();
    case tandem::DType::kFloat64: return py::dtype::of<double>();
    case tandem::DType::kInt8: return py::dtype::of<int8_t>();
    case tandem::DType::kUInt8: return py::dtype::of<uint8_t>();
    case tandem::DType::kInt16: return py::dtype::of<int16_t>();
    case tandem::DType::kUInt16: return py::dtype::of<uint16_t>();
    case tandem::DType::kInt32: return py::dtype::of<int32_t>();
    case tandem::DType::kUInt32: return py::dtype::of<uint32_t>();
    case tandem::DType::kInt64: return py::dtype::of<int64_t>();
    case tandem::DType::kUInt64: return py::dtype::of<uint64_t>();
    case tandem::DType::kBool: return py::dtype::of<bool>();
    default: throw Error(std::string("tensors of ") + tandem::dtype_name(t) + " have no NumPy dtype here");
  }
}

tandem::DType from_numpy(const py::dtype& d) {
  for (tandem::DType t : {tandem::DType::kFloat32, tandem::DType::kFloat64, tandem::DType::kInt8, tandem::DType::kUInt8,
                          tandem::DType::kInt16, tandem::DType::kUInt16, tandem::DType::kInt32, tandem::DType::kUInt32,
                          tandem::DType::kInt64, tandem::DType::kUInt64, tandem::DType::kBool})
    if (d.is(to_numpy(t)) || d.equal(to_numpy(t))) return t;
  throw Error("NumPy dtype " + d.attr("name").cast<std::string>() + " is not one Tandem runs");
}

// A port as Python sees it: shape entries are ints, or the dimension's name (None when unnamed) where open.
py::dict port_dict(const tandem::TensorInfo& p) {
  py::list shape;
  for (size_t i = 0; i < p.shape.size(); ++i) {
    if (p.shape[i] >= 0) shape.append(p.shape[i]);
    else if (i < p.dim_names.size() && !p.dim_names[i].empty()) shape.append(p.dim_names[i]);
    else shape.append(py::none());
  }
  py::dict d;
  d["name"] = p.name;
  d["dtype"] = tandem::dtype_name(p.dtype);
  d["shape"] = py::tuple(shape);
  return d;
}

// The NumPy array over a tensor's storage; the capsule keeps a reference to that storage.
py::array to_array(const tandem::Tensor& t) {
  auto* keep = new tandem::Tensor(t);
  py::capsule owner(keep, [](void* p) { delete static_cast<tandem::Tensor*>(p); });
  std::vector<py::ssize_t> shape(t.shape().begin(), t.shape().end());
  return py::array(to_numpy(t.dtype()), shape, keep->raw(), owner);
}

class PySession {
 public:
  PySession(const std::string& model_path, int threads, bool optimize) {
    tandem::SessionOptions o;
    o.threads = threads;
    o.optimize = optimize;
    py::gil_scoped_release unlocked;
    session_.emplace(take(tandem::Session::open(model_path, o)));
  }

  py::list inputs() const { return ports(session_->inputs()); }
  py::list outputs() const { return ports(session_->outputs()); }

  py::list prepare(const std::map<std::string, std::vector<int64_t>>& shapes) {
    std::map<std::string, tandem::Shape> s(shapes.begin(), shapes.end());
    std::vector<tandem::TensorInfo> outs;
    {
      py::gil_scoped_release unlocked;
      outs = take(session_->prepare(s));
    }
    return ports(outs);
  }

  py::dict run(const py::dict& feeds, const py::object& into) {
    std::vector<py::array> held;  // the arrays the input views point into, alive until the run returns
    std::map<std::string, tandem::Tensor> inputs;
    for (const auto& [key, value] : feeds) {
      const std::string name = py::cast<std::string>(key);
      // Converts only what must be: a C-contiguous array stays the same object.
      py::array a = py::array::ensure(value, py::array::c_style);
      if (!a) throw Error("input '" + name + "' is not an array");
      inputs[name] = view(a);
      held.push_back(std::move(a));
    }
    if (!into.is_none()) {
      // The caller's arrays, written in place: C-contiguous and writeable, or an error (a copy would not be seen).
      std::map<std::string, tandem::Tensor> outputs;
      for (const auto& [key, value] : py::cast<py::dict>(into)) {
        const std::string name = py::cast<std::string>(key);
        if (!py::isinstance<py::array>(value)) throw Error("output '" + name + "' is not a NumPy array");
        py::array a = py::reinterpret_borrow<py::array>(value);
        if (!(a.flags() & py::array::c_style) || !a.writeable())
          throw Error("output '" + name + "' must be a C-contiguous, writeable array");
        outputs[name] = view(a);
        held.push_back(std::move(a));
      }
      {
        py::gil_scoped_release unlocked;
        check(session_->run(inputs, outputs));
      }
      return py::cast<py::dict>(into);
    }
    std::map<std::string, tandem::Tensor> outputs;
    {
      py::gil_scoped_release unlocked;
      outputs = take(session_->run(inputs));
    }
    py::dict out;
    for (const tandem::TensorInfo& p : session_->outputs()) out[py::str(p.name)] = to_array(outputs.at(p.name));
    return out;
  }

 private:
  static tandem::Tensor view(const py::array& a) {
    tandem::Shape shape(a.shape(), a.shape() + a.ndim());
    return tandem::Tensor::view(from_numpy(a.dtype()), shape, const_cast<void*>(a.data()));
  }
  static py::list ports(const std::vector<tandem::TensorInfo>& infos) {
    py::list l;
    for (const tandem::TensorInfo& p : infos) l.append(port_dict(p));
    return l;
  }
  std::optional<tandem::Session> session_;
};

}  // namespace

PYBIND11_MODULE(_tandem, m) {
  m.doc() = "Tandem's native module; use the tandem package.";
  py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  m.attr("__version__") = tandem::version();
  py::class_<PySession>(m, "Session")
      .def(py::init<const std::string&, int, bool>(), py::arg("model_path"), py::arg("threads") = 1,
           py::arg("optimize") = true)
      .def_property_readonly("inputs", &PySession::inputs)
      .def_property_readonly("outputs", &PySession::outputs)
      .def("prepare", &PySession::prepare, py::arg("shapes"))
      .def("run", &PySession::run, py::arg("feeds"), py::arg("outputs") = py::none());
}
