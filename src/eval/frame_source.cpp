// Listing a frame directory and producing frames from either kind of source.
#include "eval/frame_source.h"

#include <algorithm>
#include <filesystem>

#include "synth/frame_io.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSynthPrefix = "synth:";
constexpr const char* kRgbSuffix = "_rgb.png";

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

Result<std::vector<std::string>> list_frames(const std::string& dir) {
  std::error_code ec;
  TANDEM_CHECK_OR_RETURN(fs::exists(dir, ec), kNotFound, "frame directory '%s' does not exist", dir.c_str());
  TANDEM_CHECK_OR_RETURN(fs::is_directory(dir, ec), kInvalidArgument,
                         "'%s' is neither a directory nor synth:SEED:COUNT", dir.c_str());
  std::vector<std::string> names;
  const std::string suffix = kRgbSuffix;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (file.size() > suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0)
      names.push_back(file.substr(0, file.size() - suffix.size()));
  }
  TANDEM_CHECK_OR_RETURN(!ec, kIoError, "cannot list '%s': %s", dir.c_str(), ec.message().c_str());
  TANDEM_CHECK_OR_RETURN(!names.empty(), kNotFound,
                         "no frames in '%s' (expected NAME_rgb.png with NAME_label.png and NAME_depth.png)",
                         dir.c_str());
  std::sort(names.begin(), names.end());
  return names;
}

Status check_synth_size(int height, int width) {
  TANDEM_CHECK_OR_RETURN(height > 0 && width > 0, kInvalidArgument, "bad synthetic frame size %dx%d", height, width);
  return Status::ok();
}

}  // namespace

Result<FrameSource> FrameSource::open(const std::string& spec, int synth_height, int synth_width) {
  FrameSource src;
  if (starts_with(spec, kSynthPrefix)) {
    TANDEM_RETURN_IF_ERROR(check_synth_size(synth_height, synth_width));
    TANDEM_ASSIGN_OR_RETURN(src.synth_source_, parse_synth_source(spec));
    src.synth_ = true;
    src.synth_height_ = synth_height;
    src.synth_width_ = synth_width;
    return src;
  }
  src.dir_ = spec;
  TANDEM_ASSIGN_OR_RETURN(src.names_, list_frames(spec));
  return src;
}

int64_t FrameSource::size() const { return synth_ ? synth_source_.count : static_cast<int64_t>(names_.size()); }

std::string FrameSource::name(int64_t index) const {
  return synth_ ? synth_frame_name(synth_source_.seed, index) : names_[static_cast<size_t>(index)];
}

Result<SynthFrame> FrameSource::frame(int64_t index) const {
  TANDEM_CHECK_OR_RETURN(index >= 0 && index < size(), kInternal, "frame %lld of %lld", static_cast<long long>(index),
                         static_cast<long long>(size()));
  if (synth_) return synth_frame(synth_frame_seed(synth_source_.seed, index), synth_height_, synth_width_);
  Result<SynthFrame> f = read_synth_frame(dir_, names_[static_cast<size_t>(index)]);
  if (!f.is_ok()) return f.status().with_context("frame '" + names_[static_cast<size_t>(index)] + "'");
  return f;
}

Result<ImageU8> load_frame_image(const std::string& spec, int synth_height, int synth_width) {
  if (!starts_with(spec, kSynthPrefix)) return load_image(spec);
  TANDEM_RETURN_IF_ERROR(check_synth_size(synth_height, synth_width));
  // "synth:SEED" is "synth:SEED:1" (one frame); reusing the set parser keeps one definition of a valid SEED.
  Result<SynthSource> source = parse_synth_source(spec + ":1");
  TANDEM_CHECK_OR_RETURN(source.is_ok(), kInvalidArgument,
                         "bad input '%s' (expected synth:SEED with SEED an unsigned 64-bit decimal, or an image file)",
                         spec.c_str());
  SynthFrame f = synth_frame(synth_frame_seed(source->seed, 0), synth_height, synth_width);
  ImageU8 image;
  image.width = f.width;
  image.height = f.height;
  image.rgb = std::move(f.rgb);
  return image;
}

}  // namespace tandem
