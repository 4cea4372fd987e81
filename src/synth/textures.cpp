// Procedural textures, one function per material; every pattern is a function of the world position, so it
// stays put on the geometry and costs a few hashes per pixel.
#include "synth/textures.h"

#include "synth/noise.h"

namespace tandem::synth {
namespace {

const Vec3 kGlass{0.025f, 0.03f, 0.035f};

// Coordinates on a face: (along the face, up) for walls, (x, z) for horizontal faces.
void face_uv(Vec3 p, Vec3 n, float& s, float& t) {
  if (n.x > 0.5f || n.x < -0.5f) {
    s = p.z, t = p.y;
  } else if (n.z > 0.5f || n.z < -0.5f) {
    s = p.x, t = p.y;
  } else {
    s = p.x, t = p.z;
  }
}

Surface matte(Vec3 albedo) { return {albedo, {}, 0.0f}; }

Vec3 grass(Vec3 base, float x, float z, uint32_t seed) {
  float patches = fbm(x * 0.35f, z * 0.35f, seed, 3);
  float grain = value_noise(x * 9.0f, z * 9.0f, seed + 3);
  Vec3 c = mix(base * 1.5f, Vec3{0.17f, 0.14f, 0.08f}, smoothstep(0.62f, 0.8f, patches));  // dry patches
  return c * (0.55f + 0.6f * patches) * (0.75f + 0.5f * grain);
}

Surface road(const Street& st, Vec3 p, uint32_t seed) {
  float patches = fbm(p.x * 0.18f, p.z * 0.18f, seed, 2);
  float grain = value_noise(p.x * 7.0f, p.z * 7.0f, seed + 5);
  float ax = p.x < 0 ? -p.x : p.x;
  Vec3 c = st.asphalt * (0.7f + 0.6f * patches) * (0.85f + 0.3f * grain);
  if (ax > st.half_width) return matte(c);  // side streets: plain asphalt
  float lanes_w = st.lanes * st.lane_width;
  // tyre tracks are polished a little darker
  float in_lane = fract((p.x + lanes_w / 2) / st.lane_width);
  if (ax < lanes_w / 2 && ((in_lane > 0.18f && in_lane < 0.32f) || (in_lane > 0.68f && in_lane < 0.82f))) c = c * 0.88f;
  float paint = 0;
  float u = (p.x + lanes_w / 2) / st.lane_width;
  float k = std::floor(u + 0.5f);
  if (k >= 1 && k <= static_cast<float>(st.lanes - 1)) {
    float off = (u - k) * st.lane_width;
    bool centre = st.two_way && static_cast<int>(k) * 2 == st.lanes;
    if (centre) {
      float o = off < 0 ? -off : off;
      if (st.lanes >= 4 ? (o > 0.06f && o < 0.18f) : o < 0.07f) paint = 1;  // solid (double on wide roads)
    } else if (off > -0.065f && off < 0.065f && fract(p.z / st.dash_period) < st.dash_length / st.dash_period) {
      paint = 1;
    }
  }
  float edge = st.parking > 0 ? lanes_w / 2 : st.half_width - 0.3f;
  if (ax > edge - 0.07f && ax < edge + 0.07f) paint = 1;
  for (const ZRange& cw : st.crosswalks)
    if (p.z >= cw.z0 && p.z <= cw.z1 && ax < st.half_width - 0.4f && fract(p.x * 0.8f) < 0.5f) paint = 1;
  if (paint > 0) {
    float wear = value_noise(p.x * 4.0f, p.z * 4.0f, seed + 11);
    c = mix(c, st.paint, smoothstep(0.15f, 0.45f, wear) * 0.95f);
  }
  return matte(c);
}

Surface paving(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  bool top = n.y > 0.5f;
  float dx = p.x - pr.param[1];
  bool kerb = !top || (pr.param[2] > 0 && dx < pr.param[2] && dx > -pr.param[2]);
  float grain = value_noise(p.x * 11.0f + p.y * 7.0f, p.z * 11.0f, seed);
  if (kerb) {  // kerb stones, 1 m long
    float joint = fract(p.z + (top ? 0.0f : p.x)) < 0.02f ? 0.6f : 1.0f;
    return matte(pr.color2 * (0.8f + 0.35f * grain) * joint);
  }
  float tile = pr.param[0];
  float tx = p.x / tile, tz = p.z / tile;
  float row = std::floor(tz);
  tx += fract(row * 0.5f);  // stretcher bond
  float c = 0.85f + 0.3f * cell_random(static_cast<int32_t>(std::floor(tx)), static_cast<int32_t>(row), seed);
  if (fract(tx) < 0.05f || fract(tz) < 0.05f) c *= 0.6f;
  float stains = fbm(p.x * 0.3f, p.z * 0.3f, seed + 9, 2);
  return matte(pr.color * c * (0.85f + 0.25f * grain) * (0.75f + 0.5f * stains));
}

Surface window_glass(uint32_t h) {
  Surface s{kGlass, {}, 0.55f};
  float r = hash_unit(h);
  if (r < 0.07f) {  // a lit room
    s.emission = Vec3{0.45f, 0.36f, 0.22f} * (0.5f + hash_unit(h * 7u + 1u));
    s.reflect = 0.25f;
  } else if (r < 0.3f) {  // curtains
    s.albedo = Vec3{0.22f, 0.2f, 0.17f} * (0.5f + hash_unit(h * 3u + 2u));
    s.reflect = 0.3f;
  }
  return s;
}

Surface facade(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  if (n.y > 0.5f) return matte(Vec3{0.12f, 0.12f, 0.12f} * (0.8f + 0.4f * value_noise(p.x, p.z, seed)));
  bool x_face = n.x > 0.5f || n.x < -0.5f;
  float s = x_face ? p.z - pr.lo.z : p.x - pr.lo.x;
  float len = x_face ? pr.hi.z - pr.lo.z : pr.hi.x - pr.lo.x;
  float h = p.y - pr.lo.y, height = pr.hi.y - pr.lo.y;
  Vec3 wall = pr.color * (0.8f + 0.35f * fbm(s * 0.25f, h * 0.25f, seed, 2)) *
              (0.9f + 0.2f * value_noise(s * 5.0f, h * 5.0f, seed + 1));
  wall = wall * (0.75f + 0.25f * smoothstep(0.0f, 1.5f, h));  // grime at street level
  float storey = pr.param[0], pitch = pr.param[1], frac = pr.param[2];
  int style = pr.variant & 3;
  float fy = fract(h / storey);
  float floor_i = std::floor(h / storey);
  if (h > height - 0.35f || (floor_i >= 1 && fy < 0.05f)) return matte(pr.color2);  // cornice, storey ledges
  int cols = static_cast<int>((len - 1.2f) / pitch);
  if (cols < 1 || h > height - 0.8f) return matte(wall);
  float offset = 0.5f * (len - static_cast<float>(cols) * pitch);
  float cu = (s - offset) / pitch;
  float col = std::floor(cu), fx = cu - col;
  if (col < 0 || col >= static_cast<float>(cols)) return matte(wall);
  float x0 = 0.5f - frac / 2, x1 = 0.5f + frac / 2, y0 = 0.3f, y1 = 0.82f;
  if (style == 1) y0 = 0.15f, y1 = 0.86f;
  if (style == 2) x0 = 0.03f, x1 = 0.97f, y0 = 0.35f, y1 = 0.78f;
  uint32_t cell = hash2(static_cast<int32_t>(col) + (x_face ? 0 : 4096), static_cast<int32_t>(floor_i), seed);
  if (floor_i == 0) {
    bool shop = (seed & 1u) != 0 || style == 3;
    if (shop) x0 = 0.06f, x1 = 0.94f, y0 = 0.1f, y1 = 0.8f;
    if (static_cast<int>(col) == cols / 2 && (seed & 6u) != 0) {  // the entrance
      if (fx > 0.3f && fx < 0.7f && fy < 0.72f) return matte(pr.color2 * 0.35f);
      return matte(wall);
    }
  }
  if (fx < x0 || fx > x1 || fy < y0 || fy > y1) {
    bool sill = fx >= x0 && fx <= x1 && fy > y0 - 0.04f && fy < y0;
    return matte(sill ? pr.color2 : wall);
  }
  float frame = 0.05f;
  float ex = (fx - x0 < x1 - fx ? fx - x0 : x1 - fx) * pitch, ey = (fy - y0 < y1 - fy ? fy - y0 : y1 - fy) * storey;
  bool mullion = style != 2 && (fx - 0.5f) * pitch < 0.025f && (0.5f - fx) * pitch < 0.025f;
  if (style == 2) mullion = fract(fx * pitch / 1.2f) < 0.04f;
  if (ex < frame || ey < frame || mullion) return matte(mix(pr.color2, Vec3{0.6f, 0.6f, 0.58f}, 0.5f));
  return window_glass(cell);
}

Surface brick(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  float s, t;
  face_uv(p, n, s, t);
  float row = std::floor(t / 0.075f);
  float u = s / 0.24f + fract(row * 0.5f);
  if (fract(t / 0.075f) < 0.14f || fract(u) < 0.05f) return matte(pr.color2);
  float c = 0.75f + 0.5f * cell_random(static_cast<int32_t>(std::floor(u)), static_cast<int32_t>(row), seed);
  return matte(pr.color * c);
}

Surface vehicle_body(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  Surface s{pr.color * (0.96f + 0.08f * value_noise(p.x * 3.0f, p.z * 3.0f + p.y, seed)), {}, 0.12f};
  float half_w = 0.5f * (pr.hi.x - pr.lo.x), lx = (p.x - 0.5f * (pr.lo.x + pr.hi.x)) / half_w;
  float yr = (p.y - pr.lo.y) / (pr.hi.y - pr.lo.y);
  bool band = (pr.variant & 4) && p.y > pr.param[0] && p.y < pr.param[1];
  if (band && n.y < 0.5f && n.y > -0.5f) {
    bool side = n.x > 0.5f || n.x < -0.5f;
    bool pillar = side ? fract((p.z - pr.lo.z) / pr.param[2]) < 0.1f : (lx > 0.93f || lx < -0.93f);
    if (!pillar) return {kGlass, {}, 0.45f};
  }
  if (yr < 0.12f) return {Vec3{0.035f, 0.035f, 0.035f}, {}, 0.0f};  // bumpers and sills
  if ((pr.variant & 2) && (n.z > 0.5f || n.z < -0.5f)) {
    bool front = (n.z > 0) == ((pr.variant & 1) != 0);
    float ax = lx < 0 ? -lx : lx;
    float ly0 = band ? 0.15f : 0.55f, ly1 = band ? 0.28f : 0.8f;  // lights sit low on buses and trucks
    if (yr > ly0 && yr < ly1 && ax > 0.62f && ax < 0.95f) {
      if (front) return {{0.8f, 0.8f, 0.75f}, {0.12f, 0.12f, 0.1f}, 0.3f};
      return {{0.5f, 0.02f, 0.02f}, {0.2f, 0.005f, 0.005f}, 0.2f};
    }
    if (ax < 0.22f && yr > 0.22f && yr < 0.4f) return matte({0.7f, 0.7f, 0.65f});                      // number plate
    if (front && !band && ax < 0.5f && yr > 0.42f && yr < 0.62f) return matte({0.03f, 0.03f, 0.03f});  // grille
  }
  return s;
}

Surface vehicle_glass(const Primitive& pr, Vec3 p, Vec3 n) {
  Surface paint{pr.color, {}, 0.12f};
  if (n.y > 0.5f || n.y < -0.5f) return paint;
  float w = pr.param[0];
  if (p.y - pr.lo.y < 0.04f || pr.hi.y - p.y < 0.06f) return paint;
  bool side = n.x > 0.5f || n.x < -0.5f;
  float a = side ? pr.lo.z : pr.lo.x, b = side ? pr.hi.z : pr.hi.x, s = side ? p.z : p.x;
  float mid = 0.5f * (a + b);
  if (s - a < w || b - s < w || (side && s - mid < w * 0.5f && mid - s < w * 0.5f)) return paint;
  return {kGlass * 0.7f, {}, 0.3f};  // tinted car glass: darker and less mirror-like than house windows
}

Surface tire(const Primitive& pr, Vec3 p, Vec3 n) {
  Vec3 c = (pr.lo + pr.hi) * 0.5f, r = (pr.hi - pr.lo) * 0.5f;
  float q;
  if (n.x > 0.5f || n.x < -0.5f) {
    float a = (p.y - c.y) / r.y, b = (p.z - c.z) / r.z;
    q = a * a + b * b;
  } else if (n.z > 0.5f || n.z < -0.5f) {
    float a = (p.y - c.y) / r.y, b = (p.x - c.x) / r.x;
    q = a * a + b * b;
  } else {
    return matte(pr.color);
  }
  return q < 0.36f ? Surface{pr.color2, {}, 0.15f} : matte(pr.color);
}

Surface sign(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  bool plus = (pr.variant & kFacesPlusZ) != 0;
  if (!(plus ? n.z > 0.5f : n.z < -0.5f)) return {pr.color, {}, 0.1f};  // back and rim: bare metal
  float lx = (p.x - 0.5f * (pr.lo.x + pr.hi.x)) / (0.5f * (pr.hi.x - pr.lo.x));
  float ly = (p.y - 0.5f * (pr.lo.y + pr.hi.y)) / (0.5f * (pr.hi.y - pr.lo.y));
  float ax = lx < 0 ? -lx : lx, ay = ly < 0 ? -ly : ly;
  const Vec3 kWhite{0.8f, 0.8f, 0.78f}, kRed{0.5f, 0.02f, 0.02f}, kBlue{0.02f, 0.09f, 0.4f};
  Vec3 c;
  switch (pr.variant & 7) {
    case 0:  // no entry: red disc, white bar
      c = ay < 0.2f && ax < 0.65f ? kWhite : kRed;
      break;
    case 1:  // mandatory direction: blue disc, white arrow
      c = (ax < 0.1f && ly < 0.35f && ly > -0.6f) || (ly >= 0.2f && ly < 0.65f && ax < (0.65f - ly)) ? kWhite : kBlue;
      break;
    case 2:  // parking: white border, blue field, a white P
      c = ax > 0.86f || ay > 0.86f || (lx > -0.35f && lx < -0.15f && ay < 0.6f) ||
                  (ly > 0.0f && ly < 0.6f && lx >= -0.15f && lx < 0.35f &&
                   ((lx - 0.1f) * (lx - 0.1f) + (ly - 0.3f) * (ly - 0.3f) > 0.04f))
              ? kWhite
              : kBlue;
      break;
    case 3:  // priority road: yellow diamond in white
      c = ax + ay < 0.62f ? Vec3{0.62f, 0.45f, 0.02f} : (ax + ay < 0.72f ? Vec3{0.05f, 0.05f, 0.05f} : kWhite);
      break;
    default: {  // direction sign: coloured field, white border and lines of "text"
      Vec3 field = (seed & 1u) ? Vec3{0.02f, 0.2f, 0.08f} : kBlue;
      float row = std::floor((ly + 1.0f) * 2.0f);
      bool text = ay < 0.7f && fract((ly + 1.0f) * 2.0f) > 0.3f && fract((ly + 1.0f) * 2.0f) < 0.75f &&
                  ax < 0.2f + 0.6f * cell_random(static_cast<int32_t>(row), 0, seed) &&
                  cell_random(static_cast<int32_t>(std::floor(lx * 8.0f)), static_cast<int32_t>(row), seed) > 0.25f;
      c = ax > 0.92f || ay > 0.85f || text ? kWhite : field;
    }
  }
  return {c, c * 0.08f, 0.05f};  // retro-reflective sheeting looks a little brighter than paint
}

Surface traffic_light(const Primitive& pr, Vec3 p, Vec3 n) {
  bool plus = (pr.variant & kFacesPlusZ) != 0;
  if (!(plus ? n.z > 0.5f : n.z < -0.5f)) return matte(pr.color);
  float cx = 0.5f * (pr.lo.x + pr.hi.x), h = pr.hi.y - pr.lo.y;
  static const Vec3 kLit[3] = {{3.0f, 0.15f, 0.08f}, {3.0f, 1.5f, 0.1f}, {0.15f, 2.6f, 1.1f}};
  static const Vec3 kOff[3] = {{0.06f, 0.01f, 0.01f}, {0.06f, 0.04f, 0.01f}, {0.01f, 0.05f, 0.03f}};
  for (int i = 0; i < 3; ++i) {  // red on top, green at the bottom
    float yc = pr.hi.y - h * (static_cast<float>(i) + 0.5f) / 3.0f;
    float dx = p.x - cx, dy = p.y - yc;
    if (dx * dx + dy * dy < 0.011f) {
      if (i == (pr.variant & 3)) return {kOff[i], kLit[i], 0.0f};
      return {kOff[i], {}, 0.3f};
    }
  }
  return matte(pr.color);
}

Surface leaves(const Primitive& pr, Vec3 p, Vec3 n, uint32_t seed) {
  float a = p.x * 0.8f + p.z * 0.6f + n.x * 0.7f, b = p.y + n.z * 0.7f;
  float big = fbm(a * 0.9f, b * 0.9f, seed, 2);
  float fine = value_noise(a * 9.0f, b * 9.0f, seed + 1);
  Vec3 c = mix(pr.color, pr.color * Vec3{1.5f, 1.35f, 0.7f}, smoothstep(0.45f, 0.8f, big));
  float gaps = fine < 0.3f ? 0.45f : 1.0f;  // shade between leaf clusters
  return matte(c * (0.6f + 0.8f * big) * (0.75f + 0.4f * fine) * gaps);
}

}  // namespace

Surface ground_surface(const Scene& scene, Vec3 p) {
  if (ground_is_road(scene.street, p.x, p.z)) return road(scene.street, p, scene.texture_seed);
  return matte(grass(scene.street.terrain, p.x, p.z, scene.texture_seed + 17));
}

Surface primitive_surface(const Scene& scene, uint32_t index, Vec3 p, Vec3 n) {
  const Primitive& pr = scene.prims[index];
  uint32_t seed = hash_u32(index * 0x9E3779B9u ^ scene.texture_seed);
  float s, t;
  face_uv(p, n, s, t);
  switch (pr.material) {
    case Material::kPaving:
      return paving(pr, p, n, scene.texture_seed + 23);
    case Material::kGrass:
      if (n.y < 0.5f) return matte(Vec3{0.12f, 0.09f, 0.06f} * (0.8f + 0.4f * value_noise(s * 6.0f, t * 6.0f, seed)));
      return matte(grass(pr.color, p.x, p.z, scene.texture_seed + 17));
    case Material::kFacade:
      return facade(pr, p, n, seed);
    case Material::kBrick:
      return brick(pr, p, n, seed);
    case Material::kFence:
      return matte(pr.color * (0.8f + 0.4f * value_noise(s * 3.0f, t * 12.0f, seed)));
    case Material::kLeaves:
      return leaves(pr, p, n, seed);
    case Material::kBark:
      return matte(pr.color * (0.6f + 0.7f * value_noise((p.x + p.z) * 9.0f, p.y * 1.5f, seed)));
    case Material::kMetal:
      return {pr.color * (0.9f + 0.2f * value_noise(s * 2.0f, t * 2.0f, seed)), {}, 0.08f};
    case Material::kVehicleBody:
      return vehicle_body(pr, p, n, seed);
    case Material::kVehicleGlass:
      return vehicle_glass(pr, p, n);
    case Material::kTire:
      return tire(pr, p, n);
    case Material::kSign:
      return sign(pr, p, n, seed);
    case Material::kTrafficLight:
      return traffic_light(pr, p, n);
    case Material::kSkin:
      return matte(n.y > 0.3f ? pr.color2 : pr.color);  // hair on top
    case Material::kCloth:
      return matte(pr.color * (0.8f + 0.4f * value_noise(s * 14.0f, t * 14.0f, seed)));
    case Material::kConcrete:
      return matte(pr.color * (0.75f + 0.4f * fbm(s * 0.8f, t * 0.8f, seed, 2)) *
                   (0.85f + 0.3f * value_noise(s * 12.0f, t * 12.0f, seed + 1)));
    case Material::kPlain:
      break;
  }
  return matte(pr.color * (0.9f + 0.2f * fbm(s * 0.5f, t * 0.5f, seed, 2)));
}

}  // namespace tandem::synth
