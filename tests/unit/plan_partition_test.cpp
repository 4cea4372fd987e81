// The partitioner and the trunk finder on hand-built graphs: stage assignment, boundary tensors with their
// producer and consumers, fallback of unsupported nodes (splitting a stage into alternating parts), heads
// grouped by shared nodes, and the errors a wrong plan gets.
#include <gtest/gtest.h>

#include "graph_builder.h"
#include "plan/partition.h"
#include "plan/trunk.h"

namespace tandem {
namespace {

using testing::GraphBuilder;

// x -> Relu -> t(trunk) -> Sigmoid -> a (output); t -> Tanh -> Neg -> b (output)
struct TwoHeads {
  std::unique_ptr<Graph> g;
  std::string trunk;  // the shared tensor's name
};

TwoHeads two_heads() {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4});
  Value* t = b.op("Relu", {b.op("Abs", {x})});
  Value* a = b.op("Sigmoid", {t});
  Value* c = b.op("Neg", {b.op("Tanh", {t})});
  b.output(a);
  b.output(c);
  std::string trunk = t->name;
  return {b.specialized(), trunk};
}

Plan plan_of(std::vector<StageSpec> stages) {
  Plan p;
  p.units = {{"u0", "cpu", {0}}, {"u1", "cpu", {1}}};
  p.fallback_unit = "u0";
  p.stages = std::move(stages);
  return p;
}

TEST(Partition, StagesAndBoundaryTensors) {
  TwoHeads m = two_heads();
  const std::string a = m.g->outputs[0]->name, c = m.g->outputs[1]->name;
  Plan plan = plan_of({{"backbone", "u0", {m.trunk}, Precision::kFp32, {}},
                       {"head_a", "u1", {a}, Precision::kFp32, {}},
                       {"head_b", "u1", {c}, Precision::kFp32, {}}});
  auto p = partition_graph(*m.g, plan, nullptr);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  ASSERT_EQ(p->stages.size(), 3u);
  EXPECT_EQ(p->stages[0].graph->node_count(), 2u);
  EXPECT_EQ(p->stages[1].graph->node_count(), 1u);
  EXPECT_EQ(p->stages[2].graph->node_count(), 2u);
  const BoundaryTensor* t = p->tensor(m.trunk);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->producer, 0);
  EXPECT_EQ(t->consumers, (std::vector<int>{1, 2}));
  EXPECT_EQ(t->bytes(), 16u);
  EXPECT_EQ(p->tensor("x")->producer, -1);
  EXPECT_TRUE(p->tensor(a)->model_output);
  EXPECT_EQ(p->stages[1].graph->inputs[0]->name, m.trunk);
}

// A unit that cannot run Tanh: the node moves to the fallback unit and head_b becomes three parts.
TEST(Partition, UnsupportedNodesFallBackAndSplitTheStage) {
  TwoHeads m = two_heads();
  const std::string a = m.g->outputs[0]->name, c = m.g->outputs[1]->name;
  Plan plan = plan_of({{"backbone", "u0", {m.trunk}, Precision::kFp32, {}},
                       {"heads", "u1", {a, c}, Precision::kFp32, {}}});
  UnitSupports no_tanh = [](const UnitSpec& u, const Node& n, Precision) { return u.name != "u1" || n.op_type != "Tanh"; };
  auto p = partition_graph(*m.g, plan, no_tanh);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  std::vector<std::string> units;
  for (const StageGraph& s : p->stages) units.push_back(s.unit);
  ASSERT_GE(p->stages.size(), 3u);
  int fallback_parts = 0;
  for (const StageGraph& s : p->stages)
    if (!s.fallback_nodes.empty()) {
      ++fallback_parts;
      EXPECT_EQ(s.unit, "u0");
      EXPECT_NE(s.fallback_nodes[0].find("(Tanh)"), std::string::npos);
      EXPECT_EQ(s.plan_stage, "heads");
    }
  EXPECT_EQ(fallback_parts, 1);
  // Every part's inputs are produced by an earlier part (or are model inputs).
  for (const BoundaryTensor& t : p->tensors)
    for (int consumer : t.consumers) EXPECT_LT(t.producer, consumer) << t.name;
}

TEST(Partition, ErrorsNameTheStageAndTensor) {
  TwoHeads m = two_heads();
  const std::string a = m.g->outputs[0]->name, c = m.g->outputs[1]->name;
  auto error_of = [&](std::vector<StageSpec> stages) {
    auto p = partition_graph(*m.g, plan_of(std::move(stages)), nullptr);
    return p.is_ok() ? std::string("ok") : p.status().message();
  };
  EXPECT_NE(error_of({{"s", "u0", {"nope", a, c}, Precision::kFp32, {}}}).find("stage 's': output 'nope' is not a tensor"),
            std::string::npos);
  EXPECT_NE(error_of({{"s", "u0", {a}, Precision::kFp32, {}}}).find("model output '" + c + "' is not produced"),
            std::string::npos);
  EXPECT_NE(error_of({{"heads", "u0", {a, c}, Precision::kFp32, {}}, {"late", "u1", {m.trunk}, Precision::kFp32, {}}})
                .find("already computed by the earlier stage 'heads'"),
            std::string::npos);
  EXPECT_NE(error_of({{"s", "u0", {"x", a, c}, Precision::kFp32, {}}}).find("model input or a constant"),
            std::string::npos);
}

TEST(Trunk, FindsTheSharedPartAndGroupsHeads) {
  GraphBuilder b;
  Value* x = b.input("x", {1, 4});
  Value* t = b.op("Relu", {x});
  const std::string shared = t->name;
  Value* h = b.op("Tanh", {t});  // one head with two outputs
  b.output(b.op("Neg", {h}));
  b.output(b.op("Abs", {h}));
  b.output(b.op("Sigmoid", {t}));  // a second head
  auto g = b.specialized();
  auto split = find_shared_trunk(*g);
  ASSERT_TRUE(split.is_ok()) << split.status().to_string();
  EXPECT_EQ(split->boundary, (std::vector<std::string>{shared}));
  ASSERT_EQ(split->heads.size(), 2u);
  EXPECT_EQ(split->heads[0].size(), 2u);
  EXPECT_EQ(split->heads[1].size(), 1u);
  Plan plan = heads_plan(*split, {{"a", "cpu", {0}}, {"b", "cpu", {1}}}, "a", "b", 2);
  EXPECT_EQ(plan.stages.size(), 3u);
  EXPECT_TRUE(partition_graph(*g, plan, nullptr).is_ok());
}

TEST(Trunk, NeedsTwoOutputsAndASharedNode) {
  GraphBuilder one;
  one.output(one.op("Relu", {one.input("x", {2})}));
  EXPECT_FALSE(find_shared_trunk(*one.specialized()).is_ok());
  GraphBuilder apart;
  apart.output(apart.op("Relu", {apart.input("x", {2})}));
  apart.output(apart.op("Tanh", {apart.input("y", {2})}));
  auto split = find_shared_trunk(*apart.specialized());
  ASSERT_FALSE(split.is_ok());
  EXPECT_NE(split.status().message().find("no trunk"), std::string::npos);
}

}  // namespace
}  // namespace tandem
