// Writing a frame's three PNGs (png_file's encoder) and reading them back (io/image's guarded decoder).
#include "synth/frame_io.h"

#include <cmath>

#include "io/image.h"
#include "synth/png_file.h"

namespace tandem {
namespace {

std::string path_of(const std::string& dir, const std::string& name, const char* suffix) {
  return dir + "/" + name + suffix;
}

// An 8-bit image with exactly `channels` channels in the file (no silent conversion of a wrong file).
Status read_png8(const std::string& path, int channels, int& w, int& h, std::vector<uint8_t>& out) {
  TANDEM_ASSIGN_OR_RETURN(DecodedImage img,
                          decode_image_file(path, {.channels = channels, .expect_channels = channels, .expect_16bit = 0}));
  w = img.width;
  h = img.height;
  out = std::move(img.u8);
  return Status::ok();
}

}  // namespace

uint16_t encode_depth_kitti(float metres) {
  float v = std::floor(metres * 256.0f + 0.5f);
  if (!(v >= 0.0f && v <= 65535.0f)) return 0;
  return static_cast<uint16_t>(v);
}

Status write_synth_frame(const SynthFrame& frame, const std::string& dir, const std::string& name) {
  size_t n = static_cast<size_t>(frame.width) * frame.height;
  TANDEM_CHECK_OR_RETURN(frame.width > 0 && frame.height > 0 && frame.rgb.size() == n * 3 && frame.label.size() == n &&
                             frame.depth.size() == n,
                         kInvalidArgument, "frame '%s' is empty or inconsistent", name.c_str());
  TANDEM_RETURN_IF_ERROR(write_png_u8(path_of(dir, name, "_rgb.png"), frame.width, frame.height, 3, frame.rgb.data()));
  TANDEM_RETURN_IF_ERROR(
      write_png_u8(path_of(dir, name, "_label.png"), frame.width, frame.height, 1, frame.label.data()));
  Gray16Image depth;
  depth.width = frame.width;
  depth.height = frame.height;
  depth.pixels.resize(n);
  for (size_t i = 0; i < n; ++i) depth.pixels[i] = encode_depth_kitti(frame.depth[i]);
  return write_png_gray16(path_of(dir, name, "_depth.png"), depth);
}

Result<SynthFrame> read_synth_frame(const std::string& dir, const std::string& name) {
  SynthFrame f;
  int w = 0, h = 0;
  std::string rgb_path = path_of(dir, name, "_rgb.png"), label_path = path_of(dir, name, "_label.png");
  std::string depth_path = path_of(dir, name, "_depth.png");
  TANDEM_RETURN_IF_ERROR(read_png8(rgb_path, 3, f.width, f.height, f.rgb));
  TANDEM_RETURN_IF_ERROR(read_png8(label_path, 1, w, h, f.label));
  TANDEM_CHECK_OR_RETURN(w == f.width && h == f.height, kInvalidArgument, "'%s' is %dx%d but '%s' is %dx%d",
                         label_path.c_str(), h, w, rgb_path.c_str(), f.height, f.width);
  TANDEM_ASSIGN_OR_RETURN(Gray16Image depth, read_png_gray16(depth_path));
  TANDEM_CHECK_OR_RETURN(depth.width == f.width && depth.height == f.height, kInvalidArgument,
                         "'%s' is %dx%d but '%s' is %dx%d", depth_path.c_str(), depth.height, depth.width,
                         rgb_path.c_str(), f.height, f.width);
  f.depth.resize(depth.pixels.size());
  for (size_t i = 0; i < depth.pixels.size(); ++i) f.depth[i] = decode_depth_kitti(depth.pixels[i]);
  return f;
}

}  // namespace tandem
