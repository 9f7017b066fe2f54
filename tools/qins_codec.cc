// qins-codec: encode an f32 matrix into a weight format and decode it back,
// so a codec can be inspected byte by byte.
//
//   qins-codec encode --format NAME [--per-row] --in W.npy|W.f32 [--rows R
//   --cols C] --out CODES qins-codec decode --in CODES --out W.npy|W.f32
//
// CODES holds the rows' payloads back to back in the format's exchange
// layout (docs/formats.md); CODES.json holds the format, shape and
// parameters (floats printed with 9 significant digits, so they round-trip).
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/formats/qins8_code.h"
#include "qins/qins.h"
#include "tools/npy_io.h"
#include "tools/regular_file.h"

namespace {

void Usage(FILE* f) {
  std::fprintf(
      f,
      "Usage:\n"
      "  qins-codec encode --format NAME [--per-row] --in FILE [--rows R "
      "--cols C] --out CODES\n"
      "  qins-codec decode --in CODES --out FILE\n"
      "FILE is a NumPy .npy (float32, 1-D or 2-D) or raw little-endian "
      "float32\n"
      "(give --rows/--cols for raw input; default one row). CODES gets the "
      "rows'\n"
      "codes back to back in the format's exchange layout, and CODES.json the\n"
      "format, shape and parameters. --per-row selects qins8-seed-row for\n"
      "qins8-seed. qins8 codes are written in the QINS orientation (magnitude\n"
      "code 1 = largest, 0 = zero; docs/formats.md). Formats: see --formats.\n"
      "  qins-codec --formats   lists the format names\n");
}

std::string Fmt(float v) {
  char b[32];
  std::snprintf(b, sizeof(b), "%.9g", v);
  return b;
}

int Fail(const std::string& msg) {
  std::fprintf(stderr, "qins-codec: %s\n", msg.c_str());
  return 1;
}

// The exchange layout differs from the stored one only for qins8, whose rows
// store the bit-complementary orientation (docs/formats.md).
void ToExchange(qins::Format f, std::vector<uint8_t>& bytes) {
  if (f.kind != qins::FormatKind::kQins8) return;
  for (uint8_t& b : bytes) b = qins::qins8::ToQinsCode(b);
}
void FromExchange(qins::Format f, std::vector<uint8_t>& bytes) {
  if (f.kind != qins::FormatKind::kQins8) return;
  for (uint8_t& b : bytes) b = qins::qins8::FromQinsCode(b);
}

// How many times "key" appears as a quoted string in a JSON text.
size_t CountKey(const std::string& j, const std::string& key) {
  const std::string q = "\"" + key + "\"";
  size_t n = 0;
  for (size_t at = j.find(q); at != std::string::npos; at = j.find(q, at + 1))
    ++n;
  return n;
}

// Finds "key": in a JSON text and returns the text after the colon.
bool FindKey(const std::string& j, const std::string& key, size_t* pos) {
  const size_t k = j.find("\"" + key + "\"");
  if (k == std::string::npos) return false;
  const size_t colon = j.find(':', k);
  if (colon == std::string::npos) return false;
  *pos = colon + 1;
  return true;
}

bool ReadNumberArray(const std::string& j, const std::string& key,
                     std::vector<float>* out) {
  size_t p;
  if (!FindKey(j, key, &p)) return false;
  const size_t open = j.find('[', p), close = j.find(']', p);
  if (open == std::string::npos || close == std::string::npos || close < open)
    return false;
  std::string inner = j.substr(open + 1, close - open - 1);
  std::stringstream ss(inner);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.find_first_not_of(" \n\t") == std::string::npos) continue;
    char* e = nullptr;
    const double v = std::strtod(item.c_str(), &e);
    if (e == item.c_str()) return false;
    out->push_back(static_cast<float>(v));
  }
  return true;
}

int Encode(const std::string& format, bool per_row, const std::string& in,
           size_t rows, size_t cols, const std::string& out) {
  std::string name = format;
  if (per_row) {
    if (name != "qins8-seed")
      return Fail("--per-row applies to qins8-seed only");
    name = "qins8-seed-row";
  }
  auto f = qins::ParseFormat(name);
  if (!f.ok()) return Fail(f.status().message());
  auto a = qins::tools::ReadFloats(in, rows, cols);
  if (!a.ok()) return Fail(a.status().message());
  auto ctx = qins::Context::Create();
  if (!ctx.ok()) return Fail(ctx.status().ToString());
  auto q = qins::Quantize(*ctx, *f, a->data.data(), a->rows, a->cols);
  if (!q.ok()) return Fail(q.status().ToString());
  std::vector<uint8_t> bytes(q->rows() * q->row_payload_bytes());
  for (size_t r = 0; r < q->rows(); ++r) {
    std::memcpy(bytes.data() + r * q->row_payload_bytes(), q->row(r),
                q->row_payload_bytes());
  }
  ToExchange(*f, bytes);
  std::ofstream o(out, std::ios::binary);
  o.write(reinterpret_cast<const char*>(bytes.data()),
          static_cast<std::streamsize>(bytes.size()));
  o.close();  // a full disk shows only when the buffer is flushed
  if (!o) return Fail("cannot write '" + out + "'");
  std::ofstream j(out + ".json");
  if (!j) return Fail("cannot write '" + out + ".json'");
  j << "{\n  \"format\": \"" << name << "\",\n  \"rows\": " << q->rows()
    << ",\n  \"cols\": " << q->cols()
    << ",\n  \"row_payload_bytes\": " << q->row_payload_bytes()
    << ",\n  \"payload_bytes\": " << q->payload_bytes()
    << ",\n  \"bytes_per_weight\": "
    << Fmt(static_cast<float>(q->payload_bytes()) / (q->rows() * q->cols()))
    << ",\n  \"params_per_row\": " << q->params_per_row()
    << ",\n  \"row_params\": [";
  for (size_t r = 0; r < q->rows(); ++r) {
    for (size_t k = 0; k < q->params_per_row(); ++k) {
      j << (r + k ? ", " : "") << Fmt(q->row_params(r)[k]);
    }
  }
  j << "],\n  \"tensor_params\": [";
  for (size_t k = 0; k < q->tensor_params().size(); ++k) {
    j << (k ? ", " : "") << Fmt(q->tensor_params()[k]);
  }
  j << "]\n}\n";
  j.close();
  if (!j) return Fail("cannot write '" + out + ".json'");
  std::printf("%s: %zu x %zu -> %s (%zu bytes, %.4f bytes/weight) + %s.json\n",
              name.c_str(), q->rows(), q->cols(), out.c_str(), bytes.size(),
              static_cast<double>(q->payload_bytes()) / (q->rows() * q->cols()),
              out.c_str());
  return 0;
}

int Decode(const std::string& in, const std::string& out) {
  for (const std::string& p : {in + ".json", in}) {
    if (const std::string bad = qins::tools::NotARegularFile(p); !bad.empty())
      return Fail(bad);
  }
  std::ifstream jf(in + ".json");
  if (!jf) return Fail("cannot open sidecar '" + in + ".json'");
  std::stringstream js;
  js << jf.rdbuf();
  const std::string j = js.str();
  // Each key once: with a duplicate, which value counts is ambiguous (the
  // first one used to win silently).
  for (const char* key :
       {"format", "rows", "cols", "row_params", "tensor_params"}) {
    if (CountKey(j, key) > 1)
      return Fail(in + ".json: duplicate key \"" + std::string(key) + "\"");
  }
  size_t p;
  if (!FindKey(j, "format", &p)) return Fail(in + ".json: no \"format\"");
  const size_t q0 = j.find('"', p), q1 = j.find('"', q0 + 1);
  if (q0 == std::string::npos || q1 == std::string::npos)
    return Fail(in + ".json: bad \"format\"");
  auto f = qins::ParseFormat(j.substr(q0 + 1, q1 - q0 - 1));
  if (!f.ok()) return Fail(in + ".json: " + f.status().message());
  // A positive integer below 2^32, followed by ',' or '}': "rows": 32.5
  // used to read as 32, and strtoull takes "-1" as 2^64 - 1.
  auto number = [&](const char* key, size_t* v) {
    size_t at;
    if (!FindKey(j, key, &at)) return false;
    while (at < j.size() && std::isspace(static_cast<unsigned char>(j[at])))
      ++at;
    if (at >= j.size() || !std::isdigit(static_cast<unsigned char>(j[at])))
      return false;
    char* e = nullptr;
    errno = 0;
    const unsigned long long n = std::strtoull(j.c_str() + at, &e, 10);
    while (std::isspace(static_cast<unsigned char>(*e))) ++e;
    if (errno != 0 || (*e != ',' && *e != '}') || n == 0 || n > (1ull << 32))
      return false;
    *v = static_cast<size_t>(n);
    return true;
  };
  size_t rows = 0, cols = 0;
  if (!number("rows", &rows) || !number("cols", &cols)) {
    return Fail(in +
                ".json: \"rows\" and \"cols\" must be positive integers "
                "(at most 2^32)");
  }
  std::vector<float> row_params, tensor_params;
  if (!ReadNumberArray(j, "row_params", &row_params) ||
      !ReadNumberArray(j, "tensor_params", &tensor_params)) {
    return Fail(in + ".json: bad row_params/tensor_params");
  }
  std::ifstream cf(in, std::ios::binary);
  if (!cf) return Fail("cannot open '" + in + "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(cf)),
                             std::istreambuf_iterator<char>());
  FromExchange(*f, bytes);
  auto m = qins::QuantizedMatrix::FromParts(
      *f, rows, cols, bytes.data(), bytes.size(), row_params, tensor_params);
  if (!m.ok()) return Fail(m.status().ToString());
  auto ctx = qins::Context::Create();
  if (!ctx.ok()) return Fail(ctx.status().ToString());
  qins::tools::FloatArray a;
  a.rows = rows;
  a.cols = cols;
  a.data.resize(rows * cols);
  qins::Status st = qins::Dequantize(*ctx, *m, a.data.data());
  if (!st.ok()) return Fail(st.ToString());
  st = qins::tools::WriteFloats(out, a);
  if (!st.ok()) return Fail(st.ToString());
  std::printf("%s: %zu x %zu -> %s\n", qins::FormatName(*f).c_str(), rows, cols,
              out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "qins-codec: missing command (encode, decode or --formats); "
                 "see --help\n");
    return 2;
  }
  const std::string cmd = argv[1];
  if (cmd == "--help" || cmd == "-h") {
    Usage(stdout);
    return 0;
  }
  if (cmd == "--formats") {
    for (qins::Format f : qins::AllFormats()) {
      const qins::FormatInfo i = qins::GetFormatInfo(f);
      std::printf("%-16s %.4f B/w  %s\n", i.name.c_str(), i.bytes_per_weight,
                  i.summary.c_str());
    }
    return 0;
  }
  std::string format, in, out;
  bool per_row = false;
  size_t rows = 0, cols = 0;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "qins-codec: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    auto count = [&]() -> size_t {
      const std::string v = value();
      char* e = nullptr;
      const unsigned long long n = std::strtoull(v.c_str(), &e, 10);
      if (e == v.c_str() || *e != '\0' || n == 0 || n > (1ull << 32)) {
        std::fprintf(stderr,
                     "qins-codec: %s must be a positive integer, got '%s'\n",
                     a.c_str(), v.c_str());
        std::exit(2);
      }
      return static_cast<size_t>(n);
    };
    if (a == "--format")
      format = value();
    else if (a == "--per-row")
      per_row = true;
    else if (a == "--in")
      in = value();
    else if (a == "--out")
      out = value();
    else if (a == "--rows")
      rows = count();
    else if (a == "--cols")
      cols = count();
    else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "qins-codec: unknown argument '%s'; see --help\n",
                   a.c_str());
      return 2;
    }
  }
  if (in.empty() || out.empty()) {
    std::fprintf(stderr, "qins-codec: --in and --out are required\n");
    return 2;
  }
  if (cmd == "encode") {
    if (format.empty()) {
      std::fprintf(stderr, "qins-codec: encode needs --format\n");
      return 2;
    }
    return Encode(format, per_row, in, rows, cols, out);
  }
  if (cmd == "decode") return Decode(in, out);
  std::fprintf(stderr,
               "qins-codec: unknown command '%s' (encode or decode); see "
               "--help\n",
               cmd.c_str());
  return 2;
}
