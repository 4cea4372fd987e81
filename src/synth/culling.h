// Which objects a ray can hit, decided by projection: primary rays by the image tile of their pixel, shadow rays
// (all parallel, towards the sun) by the cell of their origin on a plane perpendicular to the sun. An object is
// listed in every tile or cell its bounding box projects into, so each ray tests a handful of objects instead of
// all of them, and exactly the ones it could hit.
#pragma once

#include <cstdint>
#include <vector>

#include "synth/scene.h"

namespace tandem::synth {

struct ScreenBins {
  int tile = 8, tiles_x = 0, tiles_y = 0;
  std::vector<uint32_t> start;  // tiles_x * tiles_y + 1 offsets into ids
  std::vector<uint32_t> ids;    // object ids per tile, least z_min first
  std::vector<float> z_min;     // per object id: least depth of its box in front of the camera (0 if it reaches behind)
};

ScreenBins bin_for_camera(const Scene& scene, int tile);

struct SunGrid {
  Vec3 u, v;  // orthonormal basis of the plane perpendicular to the sun direction
  float u0 = 0, v0 = 0, inv_cell = 1;
  int nu = 0, nv = 0;
  std::vector<uint32_t> start;  // nu * nv + 1 offsets into ids
  std::vector<uint32_t> ids;

  // The objects that may shadow point p; count = 0 outside the grid.
  const uint32_t* cell(Vec3 p, int& count) const {
    float fu = (dot(p, u) - u0) * inv_cell, fv = (dot(p, v) - v0) * inv_cell;
    count = 0;
    if (!(fu >= 0 && fv >= 0 && fu < static_cast<float>(nu) && fv < static_cast<float>(nv))) return nullptr;
    int c = static_cast<int>(fv) * nu + static_cast<int>(fu);
    count = static_cast<int>(start[c + 1] - start[c]);
    return ids.data() + start[c];
  }
};

SunGrid bin_for_sun(const Scene& scene);

}  // namespace tandem::synth
