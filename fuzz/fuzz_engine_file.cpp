// .tdm engine files through load_deployment: framing, checksum, the JSON header (plan, tensors, stages, compiled
// graphs re-verified by shape inference), constants in the blob, and kernel instantiation from recorded tactics.
//
// A mutated engine almost never keeps its FNV-1a checksum, so the first input byte picks a mode
// (runtime/engine_format.h has the layout):
//   even:        the rest is the file, as it is (the framing and checksum checks);
//   odd, bit 1 clear: the rest is the file with its magic, version, blob size and checksum rewritten to fit (the
//                header size is kept while it fits the file), so mutations of the header's bytes reach the JSON;
//   odd, bit 1 set: the rest is the header's JSON text, then optionally "\n--blob--\n" and the blob's bytes, framed
//                into a valid file (insertions into the JSON keep their framing).
#include <cstring>
#include <string>

#include "fuzz_util.h"
#include "runtime/engine_format.h"
#include "runtime/deployment.h"

namespace {

namespace ef = tandem::engine_format;

constexpr char kBlobSeparator[] = "\n--blob--\n";

void put_u64(std::string& s, size_t at, uint64_t v) { std::memcpy(s.data() + at, &v, 8); }

void put_checksum(std::string& file) {
  put_u64(file, file.size() - 8, ef::fnv1a(file.data(), file.size() - 8));
}

// Mode "fix": only where the fixed parts fit; a shorter input is left as it is.
void fix_framing(std::string& file) {
  if (file.size() < ef::kFixedBytes) return;
  std::memcpy(file.data(), ef::kMagic, sizeof ef::kMagic);
  std::memcpy(file.data() + 8, &ef::kFormatVersion, 4);
  uint64_t hn;
  std::memcpy(&hn, file.data() + 12, 8);
  if (hn > file.size() - ef::kFixedBytes) {
    hn = file.size() - ef::kFixedBytes;
    put_u64(file, 12, hn);
  }
  put_u64(file, 20 + hn, file.size() - ef::kFixedBytes - hn);
  put_checksum(file);
}

// Mode "assemble": header text [separator blob] to a whole file.
std::string assemble(const std::string& rest) {
  const size_t cut = rest.find(kBlobSeparator);
  const std::string header = rest.substr(0, cut);
  const std::string blob = cut == std::string::npos ? std::string() : rest.substr(cut + sizeof kBlobSeparator - 1);
  std::string file(ef::kMagic, sizeof ef::kMagic);
  file.append(reinterpret_cast<const char*>(&ef::kFormatVersion), 4);
  const uint64_t hn = header.size(), bn = blob.size();
  file.append(reinterpret_cast<const char*>(&hn), 8);
  file += header;
  file.append(reinterpret_cast<const char*>(&bn), 8);
  file += blob;
  file.append(8, '\0');
  put_checksum(file);
  return file;
}

}  // namespace

TANDEM_FUZZ_INIT(engine_file) {
  tandem_fuzz::init_process();
  return 0;
}

TANDEM_FUZZ_ENTRY(engine_file) {
  if (size < 1 || size > (1 << 20)) return 0;
  const uint8_t mode = data[0];
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((mode & 3) == 1) fix_framing(file);
  if ((mode & 3) == 3) file = assemble(file);
  const std::string path = tandem_fuzz::temp_dir().write("input.tdm", file.data(), file.size());
  try {
    (void)tandem::load_deployment(path);
  } catch (const tandem::OutOfMemory&) {
  }
  return 0;
}
