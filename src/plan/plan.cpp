// Plan JSON: parsing with strict validation (unknown keys are errors, as trtexec rejects unknown flags), and
// writing.
#include "plan/plan.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "core/json_nesting.h"
#include "core/regular_file.h"

namespace tandem {
namespace {

using json = nlohmann::json;

// CPU_SETSIZE: the largest core number an affinity mask can name.
constexpr int kMaxCoreId = 1023;

std::string core_list(const std::vector<int>& cores) {
  std::string s;
  for (int c : cores) s += (s.empty() ? "" : ",") + std::to_string(c);
  return "cores " + s;
}

// Every error of one parse carries "<origin>: <json path>: ".
class Checker {
 public:
  explicit Checker(std::string origin) : origin_(std::move(origin)) {}

  Status error(const std::string& path, const std::string& what) const {
    return Status(Code::kInvalidArgument, origin_ + ": " + path + ": " + what);
  }
  Status only_keys(const json& obj, const std::string& path, const std::set<std::string>& allowed) const {
    if (!obj.is_object()) return error(path, "must be an object");
    for (const auto& [key, value] : obj.items())
      if (!allowed.count(key)) {
        std::string list;
        for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
        return error(path, "unknown key '" + key + "' (expected " + list + ")");
      }
    return Status::ok();
  }
  // An integer in [lo, hi] as JSON holds it (signed or unsigned 64-bit), so that nothing is narrowed on the way.
  Result<int> int_in(const json& v, const std::string& path, int lo, int hi) const {
    bool ok = false;
    int64_t x = 0;
    if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      ok = u >= static_cast<uint64_t>(std::max(lo, 0)) && u <= static_cast<uint64_t>(hi);
      x = static_cast<int64_t>(std::min<uint64_t>(u, static_cast<uint64_t>(INT64_MAX)));
    } else if (v.is_number_integer()) {
      x = v.get<int64_t>();
      ok = x >= lo && x <= hi;
    } else {
      return error(path, "must be an integer, got " + v.dump());
    }
    if (!ok) return error(path, format("%s is outside %d..%d", v.dump().c_str(), lo, hi));
    return static_cast<int>(x);
  }
  Result<std::string> string_at(const json& obj, const std::string& path, const char* key, bool required) const {
    if (!obj.contains(key)) {
      if (required) return error(path, std::string("missing '") + key + "'");
      return std::string();
    }
    const json& v = obj.at(key);
    if (!v.is_string() || v.get<std::string>().empty())
      return error(path + "." + key, "must be a non-empty string");
    return v.get<std::string>();
  }

 private:
  std::string origin_;
};

Result<UnitSpec> parse_unit(const Checker& c, const json& j, const std::string& path, const std::vector<int>& cores) {
  TANDEM_RETURN_IF_ERROR(c.only_keys(j, path, {"name", "kind", "cores"}));
  UnitSpec u;
  TANDEM_ASSIGN_OR_RETURN(u.name, c.string_at(j, path, "name", true));
  TANDEM_ASSIGN_OR_RETURN(std::string kind, c.string_at(j, path, "kind", false));
  if (!kind.empty()) u.kind = kind;
  if (u.kind != "cpu" && u.kind != "cuda") return c.error(path + ".kind", "'" + u.kind + "' is not a unit kind (cpu, cuda)");
  if (u.kind == "cpu") {
    if (!j.contains("cores") || !j.at("cores").is_array() || j.at("cores").empty())
      return c.error(path + ".cores", "a cpu unit needs a non-empty array of core ids");
    std::set<int> seen;
    for (const json& core : j.at("cores")) {
      TANDEM_ASSIGN_OR_RETURN(int id, c.int_in(core, path + ".cores", 0, kMaxCoreId));
      if (!cores.empty() && std::find(cores.begin(), cores.end(), id) == cores.end())
        return c.error(path + ".cores",
                       format("core %d is not one this process may run on (%s)", id, core_list(cores).c_str()));
      if (!seen.insert(id).second) return c.error(path + ".cores", format("core %d is listed twice", id));
      u.cores.push_back(id);
    }
  }
  return u;
}

Result<StageSpec> parse_stage(const Checker& c, const json& j, const std::string& path) {
  TANDEM_RETURN_IF_ERROR(c.only_keys(j, path, {"name", "unit", "outputs", "precision", "overrides"}));
  StageSpec s;
  TANDEM_ASSIGN_OR_RETURN(s.name, c.string_at(j, path, "name", true));
  TANDEM_ASSIGN_OR_RETURN(s.unit, c.string_at(j, path, "unit", true));
  if (!j.contains("outputs") || !j.at("outputs").is_array() || j.at("outputs").empty())
    return c.error(path + ".outputs", "a stage needs a non-empty array of tensor names");
  for (const json& o : j.at("outputs")) {
    if (!o.is_string() || o.get<std::string>().empty()) return c.error(path + ".outputs", "tensor names must be strings");
    s.outputs.push_back(o.get<std::string>());
  }
  TANDEM_ASSIGN_OR_RETURN(std::string precision, c.string_at(j, path, "precision", false));
  if (!precision.empty()) {
    auto p = parse_precision(precision);
    if (!p.is_ok()) return c.error(path + ".precision", p.status().message());
    s.precision = *p;
  }
  if (j.contains("overrides")) {
    if (!j.at("overrides").is_array()) return c.error(path + ".overrides", "must be an array");
    for (size_t i = 0; i < j.at("overrides").size(); ++i) {
      const json& o = j.at("overrides")[i];
      std::string opath = path + ".overrides[" + std::to_string(i) + "]";
      TANDEM_RETURN_IF_ERROR(c.only_keys(o, opath, {"match", "precision"}));
      LayerOverride lo;
      TANDEM_ASSIGN_OR_RETURN(lo.match, c.string_at(o, opath, "match", true));
      TANDEM_ASSIGN_OR_RETURN(std::string op, c.string_at(o, opath, "precision", true));
      auto p = parse_precision(op);
      if (!p.is_ok()) return c.error(opath + ".precision", p.status().message());
      lo.precision = *p;
      s.overrides.push_back(lo);
    }
  }
  return s;
}

// Cross-references: names unique, units and fallback exist, no core claimed by two units.
Status check_references(const Checker& c, const Plan& plan) {
  std::set<std::string> names;
  std::map<int, std::string> owner;
  for (size_t i = 0; i < plan.units.size(); ++i) {
    const UnitSpec& u = plan.units[i];
    std::string path = "units[" + std::to_string(i) + "]";
    if (!names.insert(u.name).second) return c.error(path + ".name", "unit '" + u.name + "' is defined twice");
    for (int core : u.cores) {
      auto [it, fresh] = owner.emplace(core, u.name);
      if (!fresh)
        return c.error(path + ".cores", format("core %d belongs to unit '%s' already: units must not share cores", core,
                                               it->second.c_str()));
    }
  }
  std::set<std::string> stage_names, outputs;
  for (size_t i = 0; i < plan.stages.size(); ++i) {
    const StageSpec& s = plan.stages[i];
    std::string path = "stages[" + std::to_string(i) + "]";
    if (!stage_names.insert(s.name).second) return c.error(path + ".name", "stage '" + s.name + "' is defined twice");
    if (!plan.unit(s.unit)) return c.error(path + ".unit", "no unit is called '" + s.unit + "'");
    for (const std::string& o : s.outputs)
      if (!outputs.insert(o).second) return c.error(path + ".outputs", "tensor '" + o + "' is produced by two stages");
  }
  if (!plan.fallback_unit.empty() && !plan.unit(plan.fallback_unit))
    return c.error("fallback_unit", "no unit is called '" + plan.fallback_unit + "'");
  return Status::ok();
}

}  // namespace

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32: return "fp32";
    case Precision::kBf16: return "bf16";
    case Precision::kFp16: return "fp16";
    case Precision::kInt8: return "int8";
  }
  return "?";
}

Result<Precision> parse_precision(const std::string& name) {
  for (Precision p : {Precision::kFp32, Precision::kBf16, Precision::kFp16, Precision::kInt8})
    if (name == precision_name(p)) return p;
  return Status(Code::kInvalidArgument, "'" + name + "' is not a precision (fp32, bf16, fp16, int8)");
}

const UnitSpec* Plan::unit(const std::string& name) const {
  for (const UnitSpec& u : units)
    if (u.name == name) return &u;
  return nullptr;
}

int Plan::stage_index(const std::string& name) const {
  for (size_t i = 0; i < stages.size(); ++i)
    if (stages[i].name == name) return static_cast<int>(i);
  return -1;
}

Result<Plan> parse_plan(const std::string& json_text, const std::string& origin, const std::vector<int>& cores) {
  Checker c(origin);
  if (json_nesting_depth(json_text) > kMaxJsonNesting)
    return Status(Code::kInvalidArgument, format("%s: nested more than %d levels deep", origin.c_str(), kMaxJsonNesting));
  json j = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status(Code::kInvalidArgument, origin + ": not valid JSON");
  TANDEM_RETURN_IF_ERROR(c.only_keys(j, "plan", {"version", "units", "stages", "fallback_unit", "in_flight"}));
  Plan plan;
  if (j.contains("version")) {
    const json& v = j.at("version");
    if (!v.is_number_integer() || v.dump() != "1") return c.error("version", "only plan version 1 is understood");
  }
  if (!j.contains("units") || !j.at("units").is_array() || j.at("units").empty())
    return c.error("units", "a plan needs a non-empty array of units");
  for (size_t i = 0; i < j.at("units").size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(UnitSpec u, parse_unit(c, j.at("units")[i], "units[" + std::to_string(i) + "]", cores));
    plan.units.push_back(std::move(u));
  }
  if (!j.contains("stages") || !j.at("stages").is_array() || j.at("stages").empty())
    return c.error("stages", "a plan needs a non-empty array of stages");
  for (size_t i = 0; i < j.at("stages").size(); ++i) {
    TANDEM_ASSIGN_OR_RETURN(StageSpec s, parse_stage(c, j.at("stages")[i], "stages[" + std::to_string(i) + "]"));
    plan.stages.push_back(std::move(s));
  }
  TANDEM_ASSIGN_OR_RETURN(plan.fallback_unit, c.string_at(j, "plan", "fallback_unit", false));
  if (plan.fallback_unit.empty()) plan.fallback_unit = plan.units.front().name;
  if (j.contains("in_flight")) {
    TANDEM_ASSIGN_OR_RETURN(plan.in_flight, c.int_in(j.at("in_flight"), "in_flight", 1, 64));
  }
  TANDEM_RETURN_IF_ERROR(check_references(c, plan));
  return plan;
}

Result<Plan> load_plan(const std::string& path, const std::vector<int>& cores) {
  TANDEM_ASSIGN_OR_RETURN(std::string text, read_regular_file(path, kMaxTextFileBytes, "plan"));
  return parse_plan(text, "plan '" + path + "'", cores);
}

std::string plan_to_json(const Plan& plan) {
  nlohmann::ordered_json j;  // keys in the order a reader expects, not sorted
  j["version"] = plan.version;
  j["units"] = nlohmann::ordered_json::array();
  for (const UnitSpec& u : plan.units) {
    nlohmann::ordered_json ju{{"name", u.name}, {"kind", u.kind}};
    if (u.kind == "cpu") ju["cores"] = u.cores;
    j["units"].push_back(ju);
  }
  j["fallback_unit"] = plan.fallback_unit;
  j["in_flight"] = plan.in_flight;
  j["stages"] = nlohmann::ordered_json::array();
  for (const StageSpec& s : plan.stages) {
    nlohmann::ordered_json js{{"name", s.name}, {"unit", s.unit}, {"outputs", s.outputs}, {"precision", precision_name(s.precision)}};
    if (!s.overrides.empty()) {
      js["overrides"] = nlohmann::ordered_json::array();
      for (const LayerOverride& o : s.overrides)
        js["overrides"].push_back({{"match", o.match}, {"precision", precision_name(o.precision)}});
    }
    j["stages"].push_back(js);
  }
  return j.dump(2) + "\n";
}

Status save_plan(const Plan& plan, const std::string& path) {
  std::ofstream f(path);
  if (!f) return Status(Code::kIoError, "cannot write plan '" + path + "'");
  f << plan_to_json(plan);
  return f.good() ? Status::ok() : Status(Code::kIoError, "cannot write plan '" + path + "'");
}

}  // namespace tandem
