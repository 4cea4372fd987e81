// SynthDrive: determinism, exact geometry (flat road, a box, a ball), label/depth invariants, the PNG files,
// and the synth:SEED:COUNT spec.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "synth/data_source.h"
#include "synth/frame_io.h"
#include "synth/png_file.h"
#include "synth/raycast.h"
#include "synth/rng.h"
#include "synth/synth_frame.h"

namespace tandem {
namespace {

namespace fs = std::filesystem;

constexpr int kH = 64, kW = 128;

// Only the ground plane, seen from a level camera at x = 0, 1.5 m up, focal length 100 px.
SynthOptions bare_road(float height = 1.5f) {
  SynthOptions o;
  o.objects = false;
  o.camera = SynthCameraPose{};
  o.camera->height = height;
  o.camera->focal = 100.0f;
  return o;
}

size_t at(int v, int u) { return static_cast<size_t>(v) * kW + u; }

class SynthFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tandem_synth_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST(SynthFrame, SameSeedSameBytesOnAnyThread) {
  SynthFrame a = synth_frame(42, kH, kW);
  SynthFrame b;
  std::thread t([&] { b = synth_frame(42, kH, kW); });
  t.join();
  EXPECT_EQ(a.rgb, b.rgb);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.depth, b.depth);
  SynthFrame c = synth_frame(43, kH, kW);
  EXPECT_NE(a.rgb, c.rgb);
  EXPECT_NE(a.depth, c.depth);
}

// FNV-1a over the frame's bytes; depth by its float bit patterns, so the digest does not depend on byte order.
uint64_t frame_digest(const SynthFrame& f, uint64_t h) {
  auto mix = [&h](uint32_t byte) { h = (h ^ byte) * 1099511628211ull; };
  for (uint8_t b : f.rgb) mix(b);
  for (uint8_t b : f.label) mix(b);
  for (float d : f.depth) {
    uint32_t bits;
    std::memcpy(&bits, &d, 4);
    for (int s = 0; s < 32; s += 8) mix((bits >> s) & 0xFF);
  }
  return h;
}

// Frames must be byte-identical on every machine and compiler (a data set is named by its seed); this pins them.
// Changing the generator on purpose changes every data set: then update kDigest and say so in the commit.
TEST(SynthFrame, GoldenDigest) {
  const uint64_t kDigest = 0x2a69368e68241c4eull;  // same from GCC -O0..-O3 and Clang, with and without AVX2
  uint64_t h = 1469598103934665603ull;
  for (int i = 0; i < 3; ++i) h = frame_digest(synth_frame(synth_frame_seed(3, i), kH, kW), h);
  EXPECT_EQ(h, kDigest) << std::hex << "digest 0x" << h;
}

TEST(SynthFrame, FlatRoadDepthIsFocalTimesHeightOverRow) {
  const float f = 100.0f, h = 1.5f;
  SynthFrame fr = synth_frame(7, kH, kW, bare_road(h));
  ASSERT_EQ(fr.width, kW);
  ASSERT_EQ(fr.height, kH);
  EXPECT_FLOAT_EQ(fr.cy, 0.5f * (kH - 1));
  EXPECT_FLOAT_EQ(fr.fx, f);
  for (int v = 0; v < kH; ++v) {
    for (int u : {0, kW / 2, kW - 1}) {  // z-depth, not ray length: the same along a row
      float dv = static_cast<float>(v) - fr.cy;
      if (dv < 0) {
        EXPECT_EQ(fr.label[at(v, u)], 10) << "row " << v;
        EXPECT_EQ(fr.depth[at(v, u)], 0.0f) << "row " << v;
        continue;
      }
      EXPECT_EQ(fr.label[at(v, u)], 0) << "row " << v;  // the bare plane is all road
      double expected = f * h / dv;
      if (expected > 250.0) {
        EXPECT_EQ(fr.depth[at(v, u)], 0.0f) << "beyond max_depth, row " << v;
      } else {
        EXPECT_NEAR(fr.depth[at(v, u)], expected, 1e-4 * expected) << "row " << v << " col " << u;
      }
    }
  }
}

TEST(SynthFrame, BoxAndBallAtKnownPositions) {
  synth::Scene scene = synth::build_scene(7, kH, kW, bare_road());
  // a car-labelled box 1..3 m up, 10 m ahead, straddling the optical axis
  synth::add_object(scene, {synth::make_primitive(synth::Shape::kBox, {-1, 1, 10}, {1, 3, 12}, synth::kCar,
                                                  synth::Material::kPlain, {0.5f, 0.5f, 0.5f})});
  // a person-labelled ball of radius 0.5 m centred 1.5 m up (eye level), 20 m ahead, 4 m to the right
  synth::add_object(scene, {synth::make_primitive(synth::Shape::kEllipsoid, {3.5f, 1, 19.5f}, {4.5f, 2, 20.5f},
                                                  synth::kPerson, synth::Material::kPlain, {0.5f, 0.5f, 0.5f})});
  SynthFrame fr = render_scene(scene);
  // Box: pixel (64, 30) looks 0.005 m right and (31.5 - 30) / 100 * 10 = 0.15 m up at z = 10, i.e. y = 1.65.
  EXPECT_EQ(fr.label[at(30, 64)], synth::kCar);
  EXPECT_NEAR(fr.depth[at(30, 64)], 10.0f, 1e-5f);
  // Row 45 looks down to y = 1.5 - 13.5 / 100 * 10 = 0.15 at z = 10: under the box, on the road beyond it.
  EXPECT_EQ(fr.label[at(45, 64)], synth::kRoad);
  EXPECT_NEAR(fr.depth[at(45, 64)], 100.0f * 1.5f / 13.5f, 1e-3f);
  // Ball: its centre projects to (83.5, 31.5). The ray of pixel (83, 31) is t * (a, b, 1) from (0, 1.5, 0);
  // its depth t solves |(a t - 4, b t, t - 20)|^2 = 0.25.
  double a = (83 - 63.5) / 100.0, b = (31.5 - 31) / 100.0;
  double qa = a * a + b * b + 1, qb = -(8 * a + 40), qc = 16 + 400 - 0.25;
  double t = (-qb - std::sqrt(qb * qb - 4 * qa * qc)) / (2 * qa);
  EXPECT_EQ(fr.label[at(31, 83)], synth::kPerson);
  EXPECT_NEAR(fr.depth[at(31, 83)], t, 1e-4 * t);
  EXPECT_EQ(fr.label[at(31, 90)], synth::kSky);  // 0.8 m right of the ball's edge
}

TEST(SynthRaycast, CylinderFenceAndSpokedWheel) {
  using namespace synth;
  float t = 0;
  Vec3 n;
  // a pole of radius 0.1 m at x = 2, z = 5, 3 m tall
  Primitive pole = make_primitive(Shape::kCylinderY, {1.9f, 0, 4.9f}, {2.1f, 3, 5.1f}, kPole, Material::kMetal, {});
  ASSERT_TRUE(intersect_primitive(pole, make_ray({2.05f, 1, 0}, {0, 0, 1}), 0, 100, t, n));
  EXPECT_NEAR(t, 5.0f - std::sqrt(0.01f - 0.0025f), 1e-5f);
  EXPECT_NEAR(n.x, 0.5f, 1e-4f);  // the normal points out of the axis
  ASSERT_TRUE(intersect_primitive(pole, make_ray({2, 10, 5}, {0, -1, 0}), 0, 100, t, n));
  EXPECT_NEAR(t, 7.0f, 1e-5f);  // the top cap
  EXPECT_EQ(n.y, 1.0f);
  EXPECT_FALSE(intersect_primitive(pole, make_ray({2.05f, 3.5f, 0}, {0, 0, 1}), 0, 100, t, n));
  EXPECT_FALSE(intersect_primitive(pole, make_ray({2.05f, 1, 0}, {0, 0, 1}), 0, 4.8f, t, n));  // beyond t_max
  // a fence along z with 0.2 m slat pitch, half solid: a ray at z = 1.05 meets a slat, one at z = 1.15 a gap
  Primitive fence = make_primitive(Shape::kBox, {4, 0, 0}, {4.05f, 1.5f, 10}, kFence, Material::kFence, {});
  fence.param[0] = 0.2f;
  fence.param[1] = 0.5f;
  ASSERT_TRUE(intersect_primitive(fence, make_ray({0, 0.8f, 1.05f}, {1, 0, 0}), 0, 100, t, n));
  EXPECT_NEAR(t, 4.0f, 1e-5f);
  EXPECT_FALSE(intersect_primitive(fence, make_ray({0, 0.8f, 1.15f}, {1, 0, 0}), 0, 100, t, n));
  // a bicycle wheel (radius 0.34 m, axis x): solid in the tyre ring, open inside the rim
  Primitive wheel =
      make_primitive(Shape::kCylinderX, {-0.025f, 0, 4.66f}, {0.025f, 0.68f, 5.34f}, kBicycle, Material::kTire, {});
  wheel.variant = kSpokedWheel;
  EXPECT_FALSE(intersect_primitive(wheel, make_ray({-1, 0.34f, 5}, {1, 0, 0}), 0, 100, t, n));
  ASSERT_TRUE(intersect_primitive(wheel, make_ray({-1, 0.66f, 5}, {1, 0, 0}), 0, 100, t, n));
  EXPECT_NEAR(t, 0.975f, 1e-5f);
}

TEST(SynthFrame, LabelsValidAndSkyHasNoDepth) {
  for (uint64_t seed : {1u, 2u, 3u, 4u}) {
    SynthFrame fr = synth_frame(seed, kH, kW);
    bool sky = false, road = false;
    for (size_t i = 0; i < fr.label.size(); ++i) {
      uint8_t l = fr.label[i];
      ASSERT_TRUE(l <= 18 || l == 255) << "seed " << seed << " pixel " << i << " label " << int(l);
      ASSERT_GE(fr.depth[i], 0.0f);
      if (l == 10) {
        ASSERT_EQ(fr.depth[i], 0.0f) << "seed " << seed;
        sky = true;
      }
      road = road || l == 0;
    }
    EXPECT_TRUE(sky) << "seed " << seed;
    EXPECT_TRUE(road) << "seed " << seed;
  }
}

TEST(SynthFrame, NonPositiveSizeGivesEmptyFrame) {
  EXPECT_TRUE(synth_frame(1, 0, 16).rgb.empty());
  EXPECT_TRUE(synth_frame(1, 16, -1).rgb.empty());
}

TEST_F(SynthFiles, Depth16BitPngRoundTripsExactly) {
  Gray16Image img;
  img.width = 300;
  img.height = 7;
  synth::Rng rng(5);
  for (int i = 0; i < img.width * img.height; ++i) img.pixels.push_back(static_cast<uint16_t>(rng.next_u64()));
  img.pixels[0] = 0, img.pixels[1] = 1, img.pixels[2] = 255, img.pixels[3] = 256, img.pixels[4] = 65535;
  std::string path = (dir_ / "d.png").string();
  ASSERT_TRUE(write_png_gray16(path, img).is_ok());
  auto back = read_png_gray16(path);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->width, img.width);
  EXPECT_EQ(back->height, img.height);
  EXPECT_EQ(back->pixels, img.pixels);
}

TEST_F(SynthFiles, FrameFilesRoundTrip) {
  SynthFrame fr = synth_frame(9, kH, kW);
  ASSERT_TRUE(write_synth_frame(fr, dir_.string(), "f").is_ok());
  for (const char* s : {"f_rgb.png", "f_label.png", "f_depth.png"}) EXPECT_TRUE(fs::exists(dir_ / s)) << s;
  auto back = read_synth_frame(dir_.string(), "f");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->rgb, fr.rgb);
  EXPECT_EQ(back->label, fr.label);
  ASSERT_EQ(back->depth.size(), fr.depth.size());
  for (size_t i = 0; i < fr.depth.size(); ++i) {
    ASSERT_EQ(back->depth[i], decode_depth_kitti(encode_depth_kitti(fr.depth[i])));
    ASSERT_NEAR(back->depth[i], fr.depth[i], 0.5f / 256.0f + 1e-6f);
  }
  // The label file is not a 16-bit depth map, and a missing frame names its file.
  auto wrong = read_png_gray16((dir_ / "f_label.png").string());
  EXPECT_FALSE(wrong.is_ok());
  auto missing = read_synth_frame(dir_.string(), "nope");
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("nope_rgb.png"), std::string::npos) << missing.status().message();
}

TEST(SynthDepthCodec, KittiConvention) {
  EXPECT_EQ(encode_depth_kitti(0.0f), 0);
  EXPECT_EQ(encode_depth_kitti(1.0f), 256);
  EXPECT_EQ(encode_depth_kitti(10.5f), 2688);
  EXPECT_EQ(encode_depth_kitti(255.99f), 65533);
  EXPECT_EQ(encode_depth_kitti(300.0f), 0);  // does not fit: no depth
  EXPECT_EQ(encode_depth_kitti(-1.0f), 0);
  EXPECT_EQ(encode_depth_kitti(std::nanf("")), 0);
}

TEST(SynthSource, ParsesSeedAndCount) {
  auto s = parse_synth_source("synth:42:10");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->seed, 42u);
  EXPECT_EQ(s->count, 10);
  auto big = parse_synth_source("synth:18446744073709551615:1");
  ASSERT_TRUE(big.is_ok());
  EXPECT_EQ(big->seed, UINT64_MAX);
}

TEST(SynthSource, RejectsMalformedSpecs) {
  for (const char* spec :
       {"", "synth", "synth:", "synth:1", "synth:1:", "synth::3", "synth:a:3", "synth:1:0", "synth:1:-3", "synth:-1:3",
        "synth:+1:3", "synth: 1:3", "synth:1:3 ", "synth:1:2:3", "foo:1:2", "SYNTH:1:2", "synth:18446744073709551616:1",
        "synth:1:100000001", "synth:1:1.5"}) {
    auto s = parse_synth_source(spec);
    ASSERT_FALSE(s.is_ok()) << "accepted '" << spec << "'";
    EXPECT_EQ(s.status().code(), Code::kInvalidArgument);
    std::string quoted = std::string(1, '\'').append(spec).append(1, '\'');  // (GCC 12 warns on "'" + s + "'")
    EXPECT_NE(s.status().message().find(quoted), std::string::npos) << s.status().message();
  }
}

TEST(SynthSource, FrameSeedsAreSplitMix64Outputs) {
  synth::Rng rng(1234);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(synth_frame_seed(1234, i), rng.next_u64()) << i;
  EXPECT_NE(synth_frame_seed(1, 0), synth_frame_seed(2, 0));
  EXPECT_EQ(synth_frame_name(7, 3), "synth_7_00003");
  EXPECT_EQ(synth_frame_name(7, 123456), "synth_7_123456");
}

}  // namespace
}  // namespace tandem
