// Where labelled frames come from: a `synth:SEED:COUNT` set rendered on demand, or a directory of
// NAME_rgb.png / NAME_label.png / NAME_depth.png triples (frame_io.h's format).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "io/image.h"
#include "synth/data_source.h"
#include "synth/synth_frame.h"

namespace tandem {

class FrameSource {
 public:
  // `spec`: "synth:SEED:COUNT" (frames rendered at synth_height x synth_width) or a directory, which must hold at least
  // one *_rgb.png (frames in file-name order).
  static Result<FrameSource> open(const std::string& spec, int synth_height, int synth_width);

  int64_t size() const;
  std::string name(int64_t index) const;
  // Renders or reads frame `index`; errors name the frame.
  Result<SynthFrame> frame(int64_t index) const;

 private:
  bool synth_ = false;
  SynthSource synth_source_;
  int synth_height_ = 0, synth_width_ = 0;
  std::string dir_;
  std::vector<std::string> names_;  // file stems of the directory's frames
};

// One image to look at: "synth:SEED" is frame 0 of the set SEED (the first frame of `--data synth:SEED:N` and of
// `tandem synth --seed SEED`), rendered at synth_height x synth_width; anything else is an image file.
Result<ImageU8> load_frame_image(const std::string& spec, int synth_height, int synth_width);

}  // namespace tandem
