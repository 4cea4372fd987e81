"""tandem.Session from Python: ports, runs by name, NumPy in and out without copies, errors as tandem.Error, and
the committed MTNet-B0 giving what `tandem run` gives."""
import os
import subprocess
import tempfile

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import tandem

CLI = os.environ.get("TANDEM_CLI", "build/tools/tandem")
MODEL = os.environ.get("TANDEM_MODEL", "models/mtnet_b0_synthdrive.onnx")
C = np.array([-1, 0, 1, 2], np.float32)


@pytest.fixture(scope="module")
def add_relu(tmp_path_factory):
    """y = Relu(x + c) with x [N, 4], N symbolic."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "c"], ["s"]), helper.make_node("Relu", ["s"], ["y"])], "add_relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [numpy_helper.from_array(C, "c")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path_factory.mktemp("models") / "add_relu.onnx"
    onnx.save(model, str(path))
    return str(path)


def test_version_is_the_clis():
    out = subprocess.run([CLI, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "tandem " + tandem.__version__


def test_ports_as_declared(add_relu):
    s = tandem.Session(add_relu)
    assert s.inputs == [{"name": "x", "dtype": "float32", "shape": ("N", 4)}]
    assert [p["name"] for p in s.outputs] == ["y"]


def test_runs_by_name_at_any_batch(add_relu):
    s = tandem.Session(add_relu, threads=2)
    for n in (1, 3):
        x = np.linspace(-3, 3, n * 4, dtype=np.float32).reshape(n, 4)
        out = s.run({"x": x})
        assert list(out) == ["y"]
        np.testing.assert_array_equal(out["y"], np.maximum(x + C, 0))


def test_outputs_are_arrays_over_tandems_buffers(add_relu):
    s = tandem.Session(add_relu)
    y = s.run({"x": np.ones((2, 4), np.float32)})["y"]
    assert y.dtype == np.float32 and y.shape == (2, 4) and y.flags.c_contiguous
    assert not y.flags.owndata  # a view kept alive by the tensor's storage, not a copy
    y2 = s.run({"x": np.zeros((2, 4), np.float32)})["y"]
    np.testing.assert_array_equal(y, np.maximum(np.ones((2, 4), np.float32) + C, 0))  # each run: storage of its own
    np.testing.assert_array_equal(y2, np.maximum(np.zeros((2, 4), np.float32) + C, 0))


def test_writes_into_the_callers_arrays(add_relu):
    s = tandem.Session(add_relu)
    y = np.full((2, 4), -7, np.float32)
    x = np.ones((2, 4), np.float32)
    result = s.run({"x": x}, outputs={"y": y})
    assert result["y"] is y
    np.testing.assert_array_equal(y, np.maximum(x + C, 0))
    with pytest.raises(tandem.Error, match="output 'y' is float32 \\[2,4\\]"):
        s.run({"x": x}, outputs={"y": np.zeros((1, 4), np.float32)})
    with pytest.raises(tandem.Error, match="C-contiguous, writeable"):
        s.run({"x": x}, outputs={"y": np.zeros((4, 2), np.float32).T})


def test_non_contiguous_inputs_are_made_contiguous(add_relu):
    s = tandem.Session(add_relu)
    x = np.arange(16, dtype=np.float32).reshape(4, 4)[:, ::-1].T  # strided view
    np.testing.assert_array_equal(s.run({"x": x})["y"], np.maximum(np.ascontiguousarray(x) + C, 0))


def test_mistakes_raise_tandem_error_with_the_message(add_relu):
    s = tandem.Session(add_relu)
    with pytest.raises(tandem.Error, match="input 'x' is missing"):
        s.run({})
    with pytest.raises(tandem.Error, match="no input 'z'"):
        s.run({"x": np.zeros((1, 4), np.float32), "z": np.zeros(1, np.float32)})
    with pytest.raises(tandem.Error, match="expects float32, got float64"):
        s.run({"x": np.zeros((1, 4))})
    with pytest.raises(tandem.Error, match="threads must be in"):
        tandem.Session(add_relu, threads=0)
    with pytest.raises(tandem.Error, match="cannot open|No such file"):
        tandem.Session("/nonexistent/model.onnx")
    with pytest.raises(tandem.Error, match="no 4-D"):
        tandem.Session(add_relu, shape=(8, 8))
    assert issubclass(tandem.Error, RuntimeError)


@pytest.mark.skipif(not os.path.exists(MODEL), reason="the committed model is not here")
def test_mtnet_outputs_equal_tandem_run():
    s = tandem.Session(MODEL, shape=(128, 256))
    assert [p["name"] for p in s.prepared_outputs] == [p["name"] for p in s.outputs]
    x = np.random.default_rng(0).random((1, 3, 128, 256), dtype=np.float32)
    out = s.run({"image": x})
    again = s.run({"image": x.copy()})
    with tempfile.TemporaryDirectory() as d:
        np.save(os.path.join(d, "image.npy"), x)
        subprocess.run([CLI, "run", MODEL, "--input", os.path.join(d, "image.npy"), "--output-dir", d],
                       check=True, capture_output=True)
        for name, value in out.items():
            assert np.array_equal(value, again[name]), name  # one engine: the same bits every run
            expected = np.load(os.path.join(d, name + ".npy"))
            assert value.shape == expected.shape and value.dtype == expected.dtype
            # Each process times its kernels' tactics, and two tactics (e.g. Winograd and direct convolution)
            # round differently: equal to float rounding, not bit for bit, unless both chose the same.
            np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max(), err_msg=name)
