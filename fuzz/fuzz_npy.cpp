// NumPy .npy files, through the file reader as `tandem run --input x.npy` uses it.
#include "fuzz_util.h"
#include "io/npy.h"

TANDEM_FUZZ_INIT(npy) {
  tandem_fuzz::init_process();
  return 0;
}

TANDEM_FUZZ_ENTRY(npy) {
  const std::string path = tandem_fuzz::temp_dir().write("input.npy", data, size);
  try {
    (void)tandem::load_npy(path);
  } catch (const tandem::OutOfMemory&) {
  }
  return 0;
}
