/// The tasks by name, as lm-eval names them: single tasks, `mmlu_<subject>`, and the groups
/// `mmlu`, `mmlu_stem`, `mmlu_humanities`, `mmlu_social_sciences`, `mmlu_other`.
public enum TaskRegistry {
  public static let tasks: [EvaluationTask] =
    [
      HellaSwag.task, HellaSwagLlamaCpp.task, ARC.task("arc_easy", folder: "ARC-Easy"), ARC.task("arc_challenge", folder: "ARC-Challenge"), PIQA.task,
      Winogrande.task, Lambada.task, TruthfulQA.task("truthfulqa_mc1"), TruthfulQA.task("truthfulqa_mc2"), Wikitext.task,
    ] + MMLU.subjects.map { MMLU.task(subject: $0.0, category: $0.1) }

  public static let groups: [String: [String]] = {
    var groups: [String: [String]] = ["mmlu": MMLU.subjects.map { "mmlu_" + $0.0 }]
    for category in ["stem", "humanities", "social_sciences", "other"] {
      groups["mmlu_" + category] = MMLU.subjects.filter { $0.1 == category }.map { "mmlu_" + $0.0 }
    }
    return groups
  }()

  public static var names: [String] { tasks.filter { !$0.name.hasPrefix("mmlu_") }.map(\.name) + ["mmlu", "mmlu_<subject>"] }

  /// The tasks a name stands for (a group expands to its subjects).
  public static func resolve(_ name: String) -> [EvaluationTask]? {
    if let members = groups[name] { return members.compactMap { member in tasks.first { $0.name == member } } }
    return tasks.first { $0.name == name }.map { [$0] }
  }
}
