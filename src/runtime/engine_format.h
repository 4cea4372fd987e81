// The .tdm engine file's fixed parts, shared by the writer (engine_file.cpp) and the reader
// (engine_file_load.cpp).
//
// Layout (little-endian):
//   "TANDEMDM"                     8-byte magic
//   u32 format version             kFormatVersion; any other is refused
//   u64 header bytes, header       JSON: plan, tensors, stages (compiled graphs, tactics), constants index
//   u64 blob bytes, blob           every constant tensor's bytes, each 64-byte aligned, shared ones once
//   u64 checksum                   FNV-1a 64 of everything before it
//
// The checksum finds corruption (a truncated copy, a flipped bit). It proves nothing about where a file came from:
// anyone can write a file with a valid checksum, so the reader also validates the structure (engine_file_load.cpp).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tandem::engine_format {

inline constexpr char kMagic[8] = {'T', 'A', 'N', 'D', 'E', 'M', 'D', 'M'};
inline constexpr uint32_t kFormatVersion = 1;
// magic, version, header size, (header), blob size, (blob), checksum
inline constexpr size_t kFixedBytes = 8 + 4 + 8 + 8 + 8;

inline uint64_t fnv1a(const char* data, size_t n, uint64_t h = 1469598103934665603ull) {
  for (size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace tandem::engine_format
