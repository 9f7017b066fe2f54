// qins-convert: converts a model into weight formats and writes the
// converted-model file (docs/qins-model-file.md) that qins-run maps without
// re-encoding.
//
//   qins-convert (--model FILE | --synthetic NAME)
//                (--format NAME [--format-map MAP] | --policy seed-adaptive)
//                --out FILE [--threads N] [--quiet]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "qins/qins.h"
#include "tools/runner/convert.h"
#include "tools/runner/format_policy.h"
#include "tools/runner/open_model.h"
#include "tools/runner/qins_model_file.h"
#include "tools/runner/synthetic_source.h"

namespace {

void Usage(FILE* f) {
  std::string presets;
  for (const std::string& p : qins::runner::SyntheticPresetNames()) {
    presets += (presets.empty() ? "" : ", ") + p;
  }
  std::fprintf(
      f,
      "Usage: qins-convert (--model FILE | --synthetic NAME)\n"
      "                    (--format NAME [--format-map MAP] |\n"
      "                     --policy seed-adaptive) --out FILE\n"
      "                    [--threads N] [--quiet]\n"
      "Converts the linear weights of a model into weight formats (norms\n"
      "stay f32) and writes a converted-model file (docs/qins-model-file.md)\n"
      "that qins-run --model loads without re-encoding.\n"
      "  --model FILE      a llama2.c checkpoint, or a GGUF v2/v3 file of the\n"
      "                    llama architecture with F32, F16, BF16 or Q8_0\n"
      "                    tensors (sniffed by its magic)\n"
      "  --gguf FILE       the same as --model\n"
      "  --synthetic NAME  deterministic random weights of a real model's\n"
      "                    shape: %s\n"
      "  --format NAME     the format of every linear weight (qins-info lists\n"
      "                    them)\n"
      "  --format-map MAP  per-class overrides: class=format,... (classes\n"
      "                    embedding, attn_q, attn_k, attn_v, attn_o,\n"
      "                    ffn_gate, ffn_up, ffn_down, output)\n"
      "  --policy seed-adaptive  the design documents' adaptive FPINS depths\n"
      "                    (docs/runner.md)\n"
      "  --out FILE        the file to write (replaced if it exists)\n"
      "  --threads N       encoding threads (default: QINS_THREADS or all)\n"
      "  --quiet           no progress on stderr\n"
      "A model that would not fit in 90%% of MemAvailable is refused.\n",
      presets.c_str());
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "qins-convert: %s\n", msg.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::string gguf, synthetic, format_name, format_map, policy_name, out;
  int threads = 0;
  bool quiet = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&](std::string* v) {
      if (i + 1 >= argc) return false;
      *v = argv[++i];
      return true;
    };
    std::string t;
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else if (a == "--gguf" || a == "--model") {
      if (!value(&gguf)) return Fail(a + " needs a file");
    } else if (a == "--format-map") {
      if (!value(&format_map)) return Fail("--format-map needs a map");
    } else if (a == "--policy") {
      if (!value(&policy_name)) return Fail("--policy needs a name");
    } else if (a == "--synthetic") {
      if (!value(&synthetic)) return Fail("--synthetic needs a preset name");
    } else if (a == "--format") {
      if (!value(&format_name)) return Fail("--format needs a name");
    } else if (a == "--out") {
      if (!value(&out)) return Fail("--out needs a file");
    } else if (a == "--threads") {
      if (!value(&t)) return Fail("--threads needs a number");
      char* end = nullptr;
      const long n = std::strtol(t.c_str(), &end, 10);
      if (*end != '\0' || n < 1 || n > 4096) {
        return Fail("--threads: '" + t + "' is not a thread count");
      }
      threads = static_cast<int>(n);
    } else if (a == "--quiet") {
      quiet = true;
    } else {
      return Fail("unknown argument '" + a + "'; see --help");
    }
  }
  if (gguf.empty() == synthetic.empty())
    return Fail(
        "give exactly one of --model FILE and --synthetic NAME; see --help");
  if ((format_name.empty() && policy_name.empty()) || out.empty())
    return Fail("--format (or --policy) and --out are required; see --help");
  if (format_name == "stored") return Fail("--format stored: nothing to do");
  qins::StatusOr<qins::runner::FormatPolicy> policy =
      qins::runner::ParseFormatPolicy(format_name, format_map, policy_name);
  if (!policy.ok()) return Fail(policy.status().message());

  qins::StatusOr<std::unique_ptr<qins::runner::ModelSource>> src =
      gguf.empty() ? qins::runner::OpenSyntheticSource(synthetic)
                   : qins::runner::OpenModelSource(gguf);
  if (!src.ok()) return Fail(src.status().ToString());
  const qins::runner::ModelConfig& c = (*src)->config();
  // The file's header holds Llama hyperparameters only (WriteModelFile
  // refuses others): say so before converting anything.
  if (c.arch != qins::runner::Arch::kLlama) {
    return Fail((*src)->Describe() + ": a " + qins::runner::ArchName(c.arch) +
                " model cannot be written as a converted-model file (llama "
                "only); run the GGUF with qins-run --format instead");
  }

  double bytes_per_weight = 0;
  for (qins::runner::TensorClass t : qins::runner::kLinearClasses) {
    bytes_per_weight = std::max(
        bytes_per_weight, qins::GetFormatInfo(policy->For(t)).bytes_per_weight);
  }
  qins::StatusOr<uint64_t> avail = qins::runner::ReadMemAvailable();
  if (avail.ok()) {
    const qins::Status fits = qins::runner::CheckFitsInMemory(
        c, bytes_per_weight, *avail,
        (*src)->Describe() + " in " + policy->name);
    if (!fits.ok()) return Fail(fits.message());
  } else if (!quiet) {
    std::fprintf(stderr, "qins-convert: memory check skipped: %s\n",
                 avail.status().message().c_str());
  }

  qins::ContextOptions opt;
  opt.num_threads = threads;
  qins::StatusOr<qins::Context> ctx = qins::Context::Create(opt);
  if (!ctx.ok()) return Fail(ctx.status().ToString());
  if (!quiet) {
    std::fprintf(stderr,
                 "%s: dim %d, hidden %d, %d layers, %d heads (%d KV), vocab "
                 "%d -> %s\n",
                 (*src)->Describe().c_str(), c.dim, c.hidden_dim, c.n_layers,
                 c.n_heads, c.n_kv_heads, c.vocab_size, policy->name.c_str());
  }
  qins::runner::ConvertOptions copt;
  copt.progress = !quiet;
  qins::StatusOr<qins::runner::ModelWeights> w =
      qins::runner::ConvertModel(*ctx, **src, *policy, copt);
  if (!w.ok()) return Fail(w.status().ToString());
  const qins::Status s = qins::runner::WriteModelFile(*w, out);
  if (!s.ok()) return Fail(s.ToString());
  if (!quiet) std::fprintf(stderr, "wrote %s\n", out.c_str());
  return 0;
}
