// qins-tables: builds the QINS arithmetic tables of design document 001,
// chapter 5, under each reading of the document's rounding, checks the
// conservation law mu(a (+) b) = mu(a) + mu(b), and dumps the tables.
#include "qins/qins_tables.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace {

void Usage(FILE* f) {
  std::fprintf(
      f,
      "Usage:\n"
      "  qins-tables verify [--rounding truncate|floor|round|all]\n"
      "  qins-tables dump DIR [--rounding truncate|floor|round|all]\n"
      "  qins-tables --help\n"
      "\n"
      "Tables (design document 001, chapter 5), indexed [a * 256 + b] by\n"
      "codes a, b; code = 256 - q for a QINS value q in [1, 256], q = 256\n"
      "stored as 0; magnitude mu = 256 / q:\n"
      "  add         q = qa * qb / (qa + qb), so mu(a (+) b) = mu(a) + mu(b)\n"
      "  mul         q = qa * qb / 256, so mu(a (x) b) = mu(a) * mu(b) (not\n"
      "              defined in the documents; defined here)\n"
      "  reciprocal  mu(code) as float32\n"
      "Readings of how the document's float result is stored (--rounding,\n"
      "default all):\n"
      "  truncate  the code as written: uint8(256 - r) truncates toward zero\n"
      "            (q = ceil(r))\n"
      "  floor     q = floor(r), clamped to >= 1\n"
      "  round     q = r rounded half to even, clamped to >= 1\n"
      "\n"
      "verify  prints, per reading, the conservation error |mu(a (+) b) -\n"
      "        (mu(a) + mu(b))| (float32) over all 65,536 pairs and over the\n"
      "        document's 9 sample codes (81 pairs): mean, max, p99.9, share\n"
      "        below 10; and the relative error of mul.\n"
      "dump    writes DIR/add_<reading>.bin and DIR/mul_<reading>.bin (65,536\n"
      "        bytes each) and DIR/reciprocal.bin (256 float32, "
      "little-endian);\n"
      "        DIR is created if missing.\n"
      "Exit status: 0 ok, 1 I/O error, 2 bad arguments.\n");
}

int BadArgs(const std::string& msg) {
  std::fprintf(stderr, "qins-tables: %s (see qins-tables --help)\n",
               msg.c_str());
  return 2;
}

const char* Describe(qins::TableRounding r) {
  switch (r) {
    case qins::TableRounding::kTruncate:
      return "the document's code as written: uint8(256 - r) truncates toward "
             "zero, q = ceil(r)";
    case qins::TableRounding::kFloor:
      return "q = floor(r) in QINS space, clamped to >= 1";
    case qins::TableRounding::kRound:
      return "q = r rounded half to even, clamped to >= 1";
  }
  return "";
}

std::unique_ptr<qins::QinsTables> Build(qins::TableRounding r) {
  auto t = qins::MakeQinsTables(r);
  if (!t.ok()) {
    std::fprintf(stderr, "qins-tables: %s\n", t.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(t).value();
}

qins::ConservationStats Check(
    const qins::StatusOr<qins::ConservationStats>& s) {
  if (!s.ok()) {
    std::fprintf(stderr, "qins-tables: %s\n", s.status().ToString().c_str());
    std::exit(1);
  }
  return *s;
}

int Verify(const std::vector<qins::TableRounding>& readings) {
  using qins::QinsTableOp;
  const size_t sample_n = std::size(qins::kDocumentSampleCodes);
  std::printf(
      "# QINS_ADD conservation: error = |mu(a (+) b) - (mu(a) + mu(b))|, "
      "float32, mu(code) = 256 / q\n\n"
      "Document's claim (chapter 5): mean 3.51, max 256.00, error < 10 for "
      "99.9%% of cases.\nSample codes:");
  for (uint8_t c : qins::kDocumentSampleCodes) std::printf(" %u", c);
  std::printf(
      ". p99.9: linear interpolation (numpy.percentile default). max: first "
      "pair (a,b) of codes reaching it.\n");
  for (qins::TableRounding r : readings) {
    auto t = Build(r);
    const qins::ConservationStats all =
        Check(qins::VerifyConservationAllPairs(*t, QinsTableOp::kAdd));
    const qins::ConservationStats sample = Check(qins::VerifyConservation(
        *t, QinsTableOp::kAdd, qins::kDocumentSampleCodes, sample_n));
    std::printf(
        "\n## reading: %s (%s)\n\n"
        "| pairs | mean | max (a,b) | p99.9 | error < 10 |\n"
        "|---|---|---|---|---|\n",
        qins::TableRoundingName(r), Describe(r));
    for (const auto* s : {&all, &sample}) {
      const std::string what =
          s == &all ? "all codes: 65,536"
                    : "document sample (" + std::to_string(sample_n) +
                          " codes): " + std::to_string(s->pairs);
      std::printf("| %s | %.4f | %.2f (%u,%u) | %.2f | %.3f%% (%zu of %zu) |\n",
                  what.c_str(), s->mean, s->max, s->max_a, s->max_b, s->p999,
                  100.0 * s->share_below_10, s->below_10, s->pairs);
    }
  }
  std::printf(
      "\n# QINS_MUL (defined here, not in the documents): relative error "
      "|mu(a (x) b) - mu(a) mu(b)| / (mu(a) mu(b)), all 65,536 pairs\n\n"
      "| reading | mean | max (a,b) | p99.9 |\n|---|---|---|---|\n");
  for (qins::TableRounding r : readings) {
    auto t = Build(r);
    const qins::ConservationStats m =
        Check(qins::VerifyConservationAllPairs(*t, QinsTableOp::kMul));
    std::printf("| %s | %.4f | %.4f (%u,%u) | %.4f |\n",
                qins::TableRoundingName(r), m.mean, m.max, m.max_a, m.max_b,
                m.p999);
  }
  return 0;
}

bool WriteFile(const std::filesystem::path& p, const void* data, size_t bytes) {
  FILE* f = std::fopen(p.c_str(), "wb");
  if (f == nullptr) {
    std::fprintf(stderr, "qins-tables: cannot open %s for writing: %s\n",
                 p.c_str(), std::strerror(errno));
    return false;
  }
  const bool ok = std::fwrite(data, 1, bytes, f) == bytes;
  const int saved = errno;
  if (std::fclose(f) != 0 || !ok) {
    std::fprintf(stderr, "qins-tables: cannot write %s: %s\n", p.c_str(),
                 std::strerror(ok ? errno : saved));
    return false;
  }
  std::printf("wrote %s (%zu bytes)\n", p.c_str(), bytes);
  return true;
}

int Dump(const std::string& dir_name,
         const std::vector<qins::TableRounding>& readings) {
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
                "reciprocal.bin is written in host byte order");
  const std::filesystem::path dir(dir_name);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir)) {
    std::fprintf(stderr, "qins-tables: cannot create directory %s: %s\n",
                 dir_name.c_str(),
                 ec ? ec.message().c_str() : "exists and is not a directory");
    return 1;
  }
  std::unique_ptr<qins::QinsTables> t;
  for (qins::TableRounding r : readings) {
    t = Build(r);
    const std::string name = qins::TableRoundingName(r);
    if (!WriteFile(dir / ("add_" + name + ".bin"), t->add, sizeof(t->add)) ||
        !WriteFile(dir / ("mul_" + name + ".bin"), t->mul, sizeof(t->mul))) {
      return 1;
    }
  }
  // The reciprocal table does not depend on the reading.
  if (!WriteFile(dir / "reciprocal.bin", t->reciprocal,
                 sizeof(t->reciprocal))) {
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string command, dir, rounding = "all";
  bool have_dir = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else if (a == "--rounding") {
      if (i + 1 >= argc) return BadArgs("--rounding needs a value");
      rounding = argv[++i];
    } else if (a.rfind("--rounding=", 0) == 0) {
      rounding = a.substr(11);
    } else if (!a.empty() && a[0] == '-') {
      return BadArgs("unknown option '" + a + "'");
    } else if (command.empty()) {
      command = a;
    } else if (command == "dump" && !have_dir) {
      dir = a;
      have_dir = true;
    } else {
      return BadArgs("unexpected argument '" + a + "'");
    }
  }
  if (command.empty()) return BadArgs("missing command (verify or dump)");
  std::vector<qins::TableRounding> readings;
  if (rounding == "all") {
    readings.assign(std::begin(qins::kAllTableRoundings),
                    std::end(qins::kAllTableRoundings));
  } else {
    qins::StatusOr<qins::TableRounding> r = qins::ParseTableRounding(rounding);
    if (!r.ok()) return BadArgs(r.status().message() + ", all");
    readings.push_back(*r);
  }
  if (command == "verify") return Verify(readings);
  if (command == "dump") {
    if (!have_dir || dir.empty()) return BadArgs("dump needs a directory");
    return Dump(dir, readings);
  }
  return BadArgs("unknown command '" + command + "'");
}
